import type { Clock } from '../../clock.js';
import type { Bytes, Message, Partition, StartPosition } from '../../types.js';
import { ShardBuffer } from './shard-buffer.js';
import { type ShardStart, shardStart } from './shard-start.js';

/** What every shard reader is given, however it fetches. */
export interface BufferedShardReaderOptions {
  readonly shard: Partition;
  readonly start: StartPosition;
  readonly clock: Clock;
  /** Most records buffered; past it nothing more is fetched until `take` makes room. */
  readonly prefetch: number;
  /** Called whenever there is something new for `poll`: records, the shard's end, a failure. */
  readonly onChange: () => void;
}

/** What `describe` shows of a reader. */
export interface ShardReaderStatus {
  readonly latest?: string;
  readonly lagMs?: number;
  readonly buffered: number;
  readonly ended: boolean;
  /** The failure the reader is backing off from, if any. */
  readonly retrying?: string;
  readonly expiredIterators: number;
  readonly throttled: number;
  /** `SubscribeToShard` calls made (enhanced fan-out only). */
  readonly subscriptions?: number;
}

/**
 * What a shard reader is to the Kinesis source, however it fetches (polling with `GetRecords`, or
 * enhanced fan-out with `SubscribeToShard`): a bounded buffer filled in the background (`run`) and
 * emptied by `take`, the shard's end handed over once (`takeEnd`) after every record before it, pause and
 * resume, and a stop that aborts whatever is under way. Subclasses fetch; this class keeps the state the
 * source reads and wakes the fetch loop when there is room again.
 */
export abstract class BufferedShardReader {
  readonly shard: Partition;
  protected readonly buffer: ShardBuffer;
  /** Where reading starts (undefined: after the shard's end, or before `open`). */
  protected start: ShardStart | undefined;
  /** The shard's end was reached (a closed shard read to its last record). */
  protected endReached = false;
  private endTaken = false;
  /** The last answer found nothing new and the reader at the shard's tip. */
  protected idle = false;
  protected lagMs: number | undefined;
  protected paused = false;
  protected failed: unknown;
  protected retrying: string | undefined;
  protected throttled = 0;
  protected readonly controller = new AbortController();
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  protected constructor(private readonly base: BufferedShardReaderOptions) {
    this.shard = base.shard;
    this.buffer = new ShardBuffer(base.shard, base.clock);
  }

  /** A call to Kinesis is under way (a slow one may be bringing records). */
  abstract get fetching(): boolean;

  /** Fetches into the buffer until stopped, ended or failed. */
  protected abstract run(): Promise<void>;

  /** The reader's own figures, besides the common ones. */
  protected abstract ownStatus(): Pick<ShardReaderStatus, 'expiredIterators' | 'subscriptions'>;

  /** Starts fetching in the background. */
  begin(): void {
    this.loop ??= this.run();
  }

  /** Buffered messages not yet taken. */
  get buffered(): number {
    return this.buffer.size;
  }

  /** Set when the reader stopped on a failure that trying again cannot fix. */
  get failure(): unknown {
    return this.failed;
  }

  /**
   * True when nothing is buffered and either the shard's end was handed over, or the last answer found
   * nothing new (the shard at its tip). An idle shard's next call under way does not change that until it
   * answers: waiting for it made a consumer running until empty stop a round trip late, whenever that
   * call happened to be under way.
   */
  get atHead(): boolean {
    return this.buffered === 0 && (this.endTaken || this.idle);
  }

  /** The shard's end was handed over by `takeEnd`. */
  get ended(): boolean {
    return this.endTaken;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Moves up to `max` buffered messages into `out`; returns how many. */
  take(max: number, out: Message<Bytes>[]): number {
    const n = this.buffer.take(max, out);
    if (n > 0 && this.buffered < this.base.prefetch) this.nudge();
    return n;
  }

  /** True once, when the shard's end was reached and every message before it was taken. */
  takeEnd(): boolean {
    if (!this.endReached || this.endTaken || this.buffered > 0) return false;
    this.endTaken = true;
    return true;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.nudge();
  }

  /** Stops fetching (aborting what is under way) and forgets the buffer. */
  async stop(): Promise<void> {
    this.controller.abort(new Error('shard reader stopped'));
    this.nudge();
    await this.loop;
    this.buffer.clear();
  }

  status(): ShardReaderStatus {
    return {
      ...(this.buffer.lastSequence === undefined ? {} : { latest: this.buffer.lastSequence }),
      ...(this.lagMs === undefined ? {} : { lagMs: this.lagMs }),
      buffered: this.buffered,
      ended: this.endTaken,
      ...(this.retrying === undefined ? {} : { retrying: this.retrying }),
      throttled: this.throttled,
      ...this.ownStatus(),
    };
  }

  /**
   * Takes the starting point of `options.start`: false when there is nothing to read (after the end of
   * the shard), else the buffer skips what the start says (the part of a KPL aggregate already done).
   */
  protected takeStart(): boolean {
    const start = shardStart(this.base.start);
    if (start === undefined) {
      this.endReached = true;
      return false;
    }
    this.start = start;
    this.buffer.skipFirst(start.skip);
    return true;
  }

  /** Waits until `take`, `resume` or `stop` wakes the loop. */
  protected async nap(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.wake = resolve;
    });
    this.wake = undefined;
  }

  /** Sleeps unless stopped; false when stopped. */
  protected async sleep(ms: number): Promise<boolean> {
    try {
      await this.base.clock.sleep(ms, this.controller.signal);
      return true;
    } catch {
      return false;
    }
  }

  private nudge(): void {
    this.wake?.();
  }
}
