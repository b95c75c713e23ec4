import type { CheckpointMove } from '../../store/records.js';
import type { Partition, Position } from '../../types.js';
import type { LiveOwner } from '../partition-owners.js';

/** Which way a checkpoint moves: back (records are read again), forward (skipped), or not at all. */
export type MoveDirection = 'back' | 'forward' | 'none';

/** One partition's move in a plan. */
export interface PlannedMove {
  readonly partition: Partition;
  /** The checkpoint now; absent when there is none (the partition is read from its start). */
  readonly before?: Position;
  /** The checkpoint after the move; absent for none (read from the start next time). */
  readonly after?: Position;
  readonly direction: MoveDirection;
  /**
   * Records read again (back) or skipped (forward); absent when the source cannot count them without
   * reading the whole span (Kinesis, but for --shift-by).
   */
  readonly events?: number;
  /** How the move was found, when it is not what was asked as such. */
  readonly note?: string;
  /** The running agent that owns the partition: executing is refused unless forced. */
  readonly owner?: string;
}

/**
 * What `checkpoint set|reset` would do (`executed: false`: nothing was changed) or did, partition by
 * partition. Each move with `before` ≠ `after` is applied, and recorded in the history, on execution.
 */
export interface CheckpointPlan {
  readonly group: string;
  /** The source's id, as checkpoints are keyed. */
  readonly source: string;
  /** The move asked for, as its flag (`--to-time 2025-01-31T12:00:00.000Z`). */
  readonly target: string;
  readonly changes: readonly PlannedMove[];
  readonly executed: boolean;
  /** Partitions a running agent owned and that were changed anyway (`force`). */
  readonly forced: readonly LiveOwner[];
  /** The history entries the execution wrote (absent for a plan). */
  readonly history?: readonly CheckpointMove[];
}
