import type { RunRecord, RunState, StepRecord } from '../../model/run-record.js';
import type { Writable } from './writable.js';

/**
 * A `runs` row as both adapters hand it over: times as numbers of ms, `steps` and `output` as JSON text
 * (so that a stored JSON `null` output stays apart from SQL NULL, no output), `fatal` as a boolean. A
 * driver that gives another shape (SQLite's 0/1 for `fatal`) is normalised by its adapter before `toRun`.
 */
export interface RunRow {
  id: string;
  group_name: string;
  event_id: string;
  event_type: string;
  rule: string;
  process: string;
  state: RunState;
  current_step: string | null;
  attempts: number;
  steps: string;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  error: string | null;
  fatal: boolean | null;
  runner: string;
  worker: string | null;
  origin_source: string | null;
  origin_partition: string | null;
  origin_position: string | null;
  output: string | null;
  updated_at: number;
}

/** The run a full row holds. SQL NULL columns are absent fields; an origin needs all three of its columns. */
export function toRun(row: RunRow): RunRecord {
  const run: Writable<RunRecord> = {
    id: row.id,
    group: row.group_name,
    eventId: row.event_id,
    eventType: row.event_type,
    rule: row.rule,
    process: row.process,
    state: row.state,
    attempts: row.attempts,
    steps: JSON.parse(row.steps) as StepRecord[],
    createdAt: row.created_at,
    runner: row.runner,
    updatedAt: row.updated_at,
  };
  if (row.current_step !== null) run.currentStep = row.current_step;
  if (row.started_at !== null) run.startedAt = row.started_at;
  if (row.finished_at !== null) run.finishedAt = row.finished_at;
  if (row.error !== null) run.error = row.error;
  if (row.fatal !== null) run.fatal = row.fatal;
  if (row.worker !== null) run.worker = row.worker;
  if (row.origin_source !== null && row.origin_partition !== null && row.origin_position !== null) {
    run.origin = {
      source: row.origin_source,
      partition: row.origin_partition,
      position: row.origin_position,
    };
  }
  if (row.output !== null) run.output = JSON.parse(row.output) as unknown;
  return run;
}
