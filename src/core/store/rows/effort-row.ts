import type { Culmination, Effort, PublishAttempt } from '../../model/effort.js';
import type { Writable } from './writable.js';

/**
 * An `efforts` row as both adapters hand it over: times as numbers of ms, attempts as JSON text (or, from
 * SQLite, `SAME_AS_HISTORY` for an initial or final attempt that is the history's first or last).
 */
export interface EffortRow {
  id: string;
  sink: string;
  record_id: string;
  run_id: string | null;
  created_at: number;
  attempts: number;
  retries: number;
  initial_attempt: string | null;
  final_attempt: string | null;
  history: string;
  culmination: Culmination;
  next_attempt_at: number | null;
  last_error: string | null;
  updated_at: number;
}

/**
 * An `initial_attempt` (`final_attempt`) that is the history's first (last) attempt, as the SQLite store
 * writes it: not a second copy of the same JSON. Never valid JSON, so never an attempt of its own.
 */
export const SAME_AS_HISTORY = '';

/** The effort a row holds; SQL NULL columns are absent fields. */
export function toEffort(row: EffortRow): Effort {
  const effort: Writable<Effort> = {
    id: row.id,
    sink: row.sink,
    recordId: row.record_id,
    createdAt: row.created_at,
    attempts: row.attempts,
    retries: row.retries,
    history: JSON.parse(row.history) as PublishAttempt[],
    culmination: row.culmination,
    updatedAt: row.updated_at,
  };
  if (row.run_id !== null) effort.runId = row.run_id;
  if (row.initial_attempt !== null) effort.initialAttempt = attemptOf(row.initial_attempt, effort.history[0]);
  if (row.final_attempt !== null) effort.finalAttempt = attemptOf(row.final_attempt, effort.history.at(-1));
  if (row.next_attempt_at !== null) effort.nextAttemptAt = row.next_attempt_at;
  if (row.last_error !== null) effort.lastError = row.last_error;
  return effort;
}

/** The attempt a column holds: `SAME_AS_HISTORY` stands for `end`, the history's first or last one. */
function attemptOf(text: string, end: PublishAttempt | undefined): PublishAttempt {
  return text === SAME_AS_HISTORY && end !== undefined ? end : (JSON.parse(text) as PublishAttempt);
}
