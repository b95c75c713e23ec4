import type { Checkpoint, CheckpointWrite } from '../records.js';
import type { Writable } from './writable.js';

/** A `checkpoints` row as both adapters hand it over (the update time as a number of ms). */
export interface CheckpointRow {
  group_name: string;
  source: string;
  partition: string;
  position: string;
  owner: string | null;
  updated_at: number;
}

/** The checkpoint a row holds; a NULL owner is an absent one. */
export function toCheckpoint(row: CheckpointRow): Checkpoint {
  const checkpoint: Writable<Checkpoint> = {
    group: row.group_name,
    source: row.source,
    partition: row.partition,
    position: row.position,
    updatedAt: row.updated_at,
  };
  if (row.owner !== null) checkpoint.owner = row.owner;
  return checkpoint;
}

/** The owner a checkpoint write records: its own, else its fence's, else none (NULL). */
export function ownerOf(write: CheckpointWrite): string | null {
  return write.owner ?? write.fence?.owner ?? null;
}
