import type { CheckpointMove } from '../records.js';
import type { Writable } from './writable.js';

/** A `checkpoint_history` row as both adapters hand it over (ids and times as numbers). */
export interface CheckpointMoveRow {
  id: number | string;
  group_name: string;
  source: string;
  partition: string;
  before: string | null;
  after: string | null;
  actor: string;
  command: string;
  reason: string | null;
  at: number | string;
}

/** The history entry a row holds; NULL columns are absent fields. */
export function toCheckpointMove(row: CheckpointMoveRow): CheckpointMove {
  const move: Writable<CheckpointMove> = {
    id: Number(row.id),
    group: row.group_name,
    source: row.source,
    partition: row.partition,
    actor: row.actor,
    command: row.command,
    at: Number(row.at),
  };
  if (row.before !== null) move.before = row.before;
  if (row.after !== null) move.after = row.after;
  if (row.reason !== null) move.reason = row.reason;
  return move;
}
