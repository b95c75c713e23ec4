import type { Checkpointing, Coordination, PartitionStatus } from '../model/partition-status.js';
import type { Bytes, Message, Partition, Position, StartPosition } from '../types.js';

export type {
  Checkpointing,
  Coordination,
  PartitionState,
  PartitionStatus,
  QueueDepth,
} from '../model/partition-status.js';

/** A partition as the source knows it. */
export interface PartitionInfo {
  readonly id: Partition;
  /**
   * Partitions that must be read to their end, with that end checkpointed, before this one may be read
   * (Kinesis resharding: a child shard waits for its parents).
   */
  readonly parents?: readonly Partition[];
  /** No more records will be written to it (a closed shard); it ends once read. */
  readonly closed?: boolean;
}

/**
 * Whether a source that keeps its own connection (and reconnects by itself) can be read right now. A
 * source whose `poll` simply waits while it reconnects says so here, so that the agent can report
 * `OFFLINE` instead of looking idle.
 */
export interface SourceConnectivity {
  readonly connected: boolean;
  /** Why it is not connected, credentials redacted. */
  readonly error?: string;
}

/** What one `poll` returned. */
export interface Fetch {
  readonly messages: readonly Message<Bytes>[];
  /**
   * Assigned partitions read to their end (closed and exhausted) by this poll, after its messages. The
   * processor commits `END_OF_PARTITION` for each once everything before is done.
   */
  readonly ended: readonly Partition[];
  /** Nothing new was found on any assigned, unpaused partition: the reader is at the head. */
  readonly caughtUp: boolean;
}

/**
 * How the processor tells the source what is done:
 * - `position` (the default): `commit` with each partition's contiguous done watermark — a message
 *   waits for every one before it (logs and streams, whose position is the progress);
 * - `each`: `settle` with every done message on its own, as soon as its records are durable, in any
 *   order (ack-based queues: a message held by a retry must not hold the acks of the others).
 */
export type Settlement = 'position' | 'each';

/**
 * The port every source adapter implements: local (embedded log), file (NDJSON), kinesis, amqp.
 *
 * Protocol: `connect` → `partitions` → `assign` (repeatedly, as leases change) → `poll`/`commit` in a loop
 * (with `pause`/`resume`/`revoke` as needed) → `close`. Calls are made by one processor, never
 * concurrently, except `describe`, which may be called at any time.
 */
export interface Source {
  /** Stable identity for checkpoints, leases and parked messages; never contains credentials. */
  readonly id: string;
  /** The source URI with credentials redacted, for display. */
  readonly uri: string;
  readonly coordination: Coordination;
  readonly checkpointing: Checkpointing;
  /** Absent means `position`. A source that says `each` implements `settle`. */
  readonly settlement?: Settlement;
  /**
   * Most messages the source hands out before some are committed (AMQP prefetch). The processor then
   * commits well before that many are done, or the source would stall until the commit interval.
   */
  readonly inFlightLimit?: number;

  /**
   * Opens connections and checks that the source exists. A source whose partitions are listed by a call
   * of their own may list them meanwhile and return them: the assignor's first discovery, which follows
   * at once, then uses them instead of waiting for another listing. @throws SourceUnavailableError
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: the sources that list nothing keep `Promise<void>`
  connect(signal?: AbortSignal): Promise<PartitionInfo[] | undefined | void>;

  /** The partitions that exist now (discovery; may change over time). */
  partitions(signal?: AbortSignal): Promise<PartitionInfo[]>;

  /**
   * Starts reading these partitions from their positions, in addition to those already assigned. For
   * `after` the message at the position itself is not delivered again.
   */
  assign(starts: ReadonlyMap<Partition, StartPosition>): Promise<void>;

  /** Stops reading these partitions and forgets what was fetched but not yet delivered for them. */
  revoke(partitions: readonly Partition[]): Promise<void>;

  /**
   * Up to `max` messages from assigned, unpaused partitions, in order within each partition. Waits a
   * little (the source's idle poll interval) when nothing is available, then returns an empty fetch. A
   * source may answer an empty fetch at once when it has just become `caughtUp` (news too, which a
   * consumer running until empty stops on); a poll that finds it still caught up waits as usual.
   * Resolves early with what it has when `signal` aborts.
   */
  poll(max: number, signal?: AbortSignal): Promise<Fetch>;

  /**
   * Everything at or before each position is done. Store-checkpointed sources use it to release what
   * they buffered; broker-checkpointed sources acknowledge up to the position (never a delivery that
   * belongs to an older connection).
   */
  commit(positions: ReadonlyMap<Partition, Position>): Promise<void>;

  /**
   * For `settlement: 'each'`: each of these positions is done (processed or parked) and its records are
   * durable; positions may come in any order and never twice. The source acknowledges them (never a
   * delivery that belongs to an older connection: that one is redelivered instead). `commit` is then
   * not called by the processor.
   */
  settle?(done: ReadonlyMap<Partition, readonly Position[]>): Promise<void>;

  /** Stops fetching for these partitions until `resume`; what was already fetched is still delivered. */
  pause(partitions: readonly Partition[]): void;
  resume(partitions: readonly Partition[]): void;

  /** Where each known partition stands: committed, latest, lag, depth. */
  describe(signal?: AbortSignal): Promise<PartitionStatus[]>;

  /** Orders two positions of one partition (negative, zero, positive). */
  compare(a: Position, b: Position): number;

  /**
   * Whether the source is connected now (sources with a connection they reopen by themselves, such as
   * AMQP). Cheap and synchronous; called after every poll. Absent: a failing `poll` throws instead.
   */
  connectivity?(): SourceConnectivity;

  /** Releases connections. Idempotent. */
  close(): Promise<void>;
}

/**
 * Whether `source` can order `position`: a source compares only positions of its own form (and says
 * NaN or throws for others). It is compared with a longer position too, since a source may answer 0 for
 * two equal strings without looking at them.
 */
export function isPositionOf(source: Pick<Source, 'compare'>, position: Position): boolean {
  if (position.trim() !== position || position === '') return false;
  try {
    return [source.compare(position, position), source.compare(position, `${position}0`)].every(
      (n) => !Number.isNaN(n),
    );
  } catch {
    return false;
  }
}
