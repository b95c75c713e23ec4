import type { Partition, Position } from '../../types.js';
import type { MoveTarget } from './move-target.js';

/** Where one partition stands when a move is planned. */
export interface PartitionSpot {
  readonly partition: Partition;
  /** The checkpoint now; absent when there is none (read from the start). */
  readonly before?: Position;
  /** The source's latest position, where it says it. */
  readonly latest?: Position;
}

/** Where a move lands, and what it costs. */
export interface Located {
  /** The new checkpoint; absent for none (the partition is read from its start next time). */
  readonly after?: Position;
  /**
   * Records between `before` and `after`: read again when moving back, skipped when moving forward.
   * Absent when the source cannot count them without reading the whole span (Kinesis).
   */
  readonly events?: number;
  /** How the move was found, when it is not what was asked as such (no record after the time: latest). */
  readonly note?: string;
}

/**
 * Maps a move target to a position of one partition through the source itself (its records'
 * timestamps, its offsets), only reading: no lease, no commit, no ack.
 */
export interface PositionLocator {
  locate(spot: PartitionSpot, target: MoveTarget, signal?: AbortSignal): Promise<Located>;
  /** Orders two positions of one partition. */
  compare(a: Position, b: Position): number;
  close(): Promise<void>;
}

/** No record at or after the time: the move goes to the latest position. */
export const PAST_THE_LAST = 'no record at or after that time: to the latest position';
