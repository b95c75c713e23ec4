import type { Culmination, Effort, PublishAttempt } from '../../model/effort.js';
import type { Writable } from './writable.js';

/** An `efforts` row as both adapters hand it over: times as numbers of ms, attempts as JSON text. */
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
  if (row.initial_attempt !== null) effort.initialAttempt = JSON.parse(row.initial_attempt) as PublishAttempt;
  if (row.final_attempt !== null) effort.finalAttempt = JSON.parse(row.final_attempt) as PublishAttempt;
  if (row.next_attempt_at !== null) effort.nextAttemptAt = row.next_attempt_at;
  if (row.last_error !== null) effort.lastError = row.last_error;
  return effort;
}
