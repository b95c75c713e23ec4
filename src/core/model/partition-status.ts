import type { Partition, Position } from '../types.js';

/** How a partition is being read right now. */
export type PartitionState = 'reading' | 'paused' | 'waiting' | 'ended' | 'idle' | 'unassigned';

/** Queue depth as the broker reports it. */
export interface QueueDepth {
  readonly ready: number;
  /** Delivered to us and not yet acked. */
  readonly unacked: number;
  readonly consumers: number;
}

/** One row of `describe()`: where a partition stands. */
export interface PartitionStatus {
  readonly partition: Partition;
  readonly state: PartitionState;
  readonly committed?: Position;
  readonly latest?: Position;
  /** Records between committed and latest, when the source can count them. */
  readonly lagRecords?: number;
  /** How far behind the head the reader is, in ms (Kinesis `MillisBehindLatest`). */
  readonly lagMs?: number;
  readonly depth?: QueueDepth;
  /** The agent reading it. */
  readonly owner?: string;
  /**
   * Since when the checkpoint has not moved while work waited, as the reading agent saw it: the last
   * commit that moved it, or the last time nothing of the partition was in flight (absent when this
   * agent does not read the partition). `status` and the metrics call a partition STALLED from it.
   */
  readonly progressAt?: number;
  /** The first position read and not yet done (absent when nothing is in flight). */
  readonly oldestPending?: Position;
  /** Source-specific notes (e.g. `parents`, `blocked`). */
  readonly detail?: Readonly<Record<string, string | number | boolean>>;
}

/**
 * How partitions are shared between agents reading the same source:
 * - `leases`: agents split partitions through leases in the state store (local log, file, Kinesis);
 * - `broker`: the broker hands messages out (AMQP); every agent is assigned every partition.
 */
export type Coordination = 'leases' | 'broker';

/**
 * Where positions are committed:
 * - `store`: checkpoints in the state store, written by the processor (local log, file, Kinesis, AMQP streams);
 * - `broker`: `commit` acknowledges to the broker and nothing is stored (AMQP queues).
 */
export type Checkpointing = 'store' | 'broker';
