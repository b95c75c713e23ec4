import type { AttributeValue, Bytes, Partition, Position, StartPosition } from '../../types.js';

/** One record as a source stores it, before decoding. */
export interface PeekRecord {
  readonly partition: Partition;
  readonly position: Position;
  /** When the source stored it (ms since the epoch): log append time, Kinesis arrival, AMQP timestamp. */
  readonly timestamp: number;
  /** The partition key (local log, Kinesis) or routing key (AMQP); undefined when the source has none. */
  readonly key: string | undefined;
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  readonly bytes: Bytes;
  /** Set when the source already knows the bytes are not a record (a corrupt KPL aggregate). */
  readonly corrupt?: string;
}

/** A partition as a peek reader lists it. */
export interface PeekPartition {
  readonly id: Partition;
  /** Partitions to read to their end before this one (Kinesis: a child shard's parents). */
  readonly parents?: readonly Partition[];
  /** No more records will be written to it (a closed shard). */
  readonly closed?: boolean;
}

/** What one `PeekCursor.read` gave. */
export interface PeekBatch {
  readonly records: readonly PeekRecord[];
  /** The partition is read to its end for good (a closed shard): no later read will give more. */
  readonly ended: boolean;
}

/** Reads one partition forward from where it was opened. */
export interface PeekCursor {
  /**
   * Up to `max` next records, in position order; none when the partition has nothing more for now (its
   * head). Does not wait for new records.
   */
  read(max: number, signal?: AbortSignal): Promise<PeekBatch>;
}

/**
 * What `peek` needs of a source: list partitions, open a cursor at a start, order positions. A reader
 * only looks: it never commits, acks, takes a lease or writes a checkpoint (for an AMQP queue, where a
 * read takes the message, see `AmqpQueuePeekReader`: every message read is given back).
 */
export interface PeekReader {
  /** The source's id, as checkpoints are keyed. */
  readonly sourceId: string;
  /** The source URI, credentials redacted. */
  readonly display: string;
  /** A position names one partition's record only (a Kinesis sequence number): a start needs --partition. */
  readonly positionsPerPartition: boolean;
  partitions(signal?: AbortSignal): Promise<PeekPartition[]>;
  open(partition: Partition, start: StartPosition, signal?: AbortSignal): Promise<PeekCursor>;
  /** Orders two positions of one partition. */
  compare(a: Position, b: Position): number;
  /**
   * The start `count` records before `position` (inclusive of `position` itself as the last of them), for
   * `--around-checkpoint -B N`; undefined where positions cannot be counted back (Kinesis).
   */
  back?(partition: Partition, position: Position, count: number): Promise<StartPosition>;
  close(): Promise<void>;
}
