import {
  type KinesisClient,
  SubscribeToShardCommand,
  type SubscribeToShardEvent,
  type SubscribeToShardEventStream,
} from '@aws-sdk/client-kinesis';
import type { Clock } from '../../clock.js';
import { describeError } from '../../errors/agentctl-error.js';
import { type Backoff, type BackoffOptions, backoff } from '../../retry/backoff.js';
import type { Bytes, Message, Partition, StartPosition } from '../../types.js';
import { errorName, isThrottling, isTransient } from './kinesis-errors.js';
import { ShardBuffer } from './shard-buffer.js';
import type { ShardReaderStatus } from './shard-reader.js';
import { type ShardStart, shardStart, startingPosition } from './shard-start.js';

export interface SubscriptionReaderOptions {
  /** A client whose handler speaks HTTP/2 (`NodeHttp2Handler`): `SubscribeToShard` needs it. */
  readonly client: KinesisClient;
  /** The registered, ACTIVE stream consumer. */
  readonly consumerArn: string;
  readonly shard: Partition;
  readonly start: StartPosition;
  readonly clock: Clock;
  /** Most records buffered: past it the event stream is not read (HTTP/2 flow control holds Kinesis back). */
  readonly prefetch: number;
  /** Waits before subscribing again after a refusal or a failure. */
  readonly retry: BackoffOptions;
  readonly random: () => number;
  /** Called whenever there is something new for `poll`: records, the shard's end, a failure. */
  readonly onChange: () => void;
}

/** Refusals that pass by themselves: another subscription still holds the shard, or too many calls. */
const REFUSALS = new Set(['ResourceInUseException', 'LimitExceededException']);

/**
 * Reads one shard with enhanced fan-out: Kinesis pushes `SubscribeToShardEvent`s over an HTTP/2 stream
 * of `SubscribeToShard`; records go into the same `ShardBuffer` as polling's (same positions, same KPL
 * de-aggregation) and `take` hands them to the source's `poll`. Same surface as `ShardReader`.
 *
 * - **Subscriptions.** Kinesis ends a subscription after 5 minutes; the reader subscribes again at once,
 *   `AFTER_SEQUENCE_NUMBER` the last event's `ContinuationSequenceNumber`. Every record of an event is in
 *   the buffer before the event's continuation is kept, so a subscription that fails mid-stream (reset,
 *   exception message, timeout) resumes after the last event delivered: nothing skipped, nothing twice.
 *   Before the first event, it resumes from the original start (a KPL aggregate skip included).
 * - **Refusals and failures.** `ResourceInUseException` (the shard's previous subscription, e.g. of an
 *   agent that just died, is still open), `LimitExceededException` and transient failures: subscribe
 *   again after a backoff with jitter that grows while they last. Any other failure (consumer or shard
 *   gone, access denied) stops the reader; it is reported through `failure`.
 * - **Backpressure.** While paused or with `prefetch` records buffered the event stream is not read, so
 *   HTTP/2 flow control stops Kinesis sending.
 * - **End.** An event without `ContinuationSequenceNumber` is the end of a closed shard (its
 *   `ChildShards` are listed by the source, and leased once this shard's `END` is checkpointed, as when
 *   polling): `ended` becomes true once the buffer is empty too.
 */
export class SubscriptionReader {
  readonly shard: Partition;
  private readonly buffer: ShardBuffer;
  private start: ShardStart | undefined;
  /** Where the next subscription starts: after the last event's continuation. */
  private continuation: string | undefined;
  private events: AsyncIterable<SubscribeToShardEventStream> | undefined;
  private endReached = false;
  private endTaken = false;
  private idle = false;
  private subscribing = false;
  private lagMs: number | undefined;
  private paused = false;
  private failed: unknown;
  /** Why the first subscription failed, for `run` to back off before trying again. */
  private refused: unknown;
  private retrying: string | undefined;
  private subscriptions = 0;
  private throttled = 0;
  private readonly controller = new AbortController();
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(private readonly options: SubscriptionReaderOptions) {
    this.shard = options.shard;
    this.buffer = new ShardBuffer(options.shard, options.clock);
  }

  /**
   * Subscribes for the first time (so that `latest` means "from now"). A refusal or a transient failure
   * is left to the background loop, which backs off first. @throws the SDK's error when Kinesis refuses
   * the starting point or the consumer (see `isFatal`).
   */
  async open(signal?: AbortSignal): Promise<void> {
    const start = shardStart(this.options.start);
    if (start === undefined) {
      this.endReached = true;
      return;
    }
    this.start = start;
    this.buffer.skipFirst(start.skip);
    try {
      this.events = await this.subscribe(signal);
    } catch (error) {
      if (signal?.aborted || isFatal(error)) throw error;
      this.refused = error;
    }
  }

  /** Starts reading in the background. */
  begin(): void {
    this.loop ??= this.run();
  }

  get buffered(): number {
    return this.buffer.size;
  }

  /** Set when the reader stopped on a failure that subscribing again cannot fix. */
  get failure(): unknown {
    return this.failed;
  }

  /** Nothing buffered and either the end was handed over, or the last event found the shard's tip. */
  get atHead(): boolean {
    return this.buffered === 0 && (this.endTaken || (this.idle && !this.subscribing));
  }

  /** A `SubscribeToShard` call is under way (events are pushed without calls once subscribed). */
  get fetching(): boolean {
    return this.subscribing;
  }

  get ended(): boolean {
    return this.endTaken;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  take(max: number, out: Message<Bytes>[]): number {
    const n = this.buffer.take(max, out);
    if (n > 0 && this.buffered < this.options.prefetch) this.nudge();
    return n;
  }

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

  /** Stops reading (closing the subscription) and forgets the buffer. */
  async stop(): Promise<void> {
    this.controller.abort(new Error('subscription reader stopped'));
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
      expiredIterators: 0,
      throttled: this.throttled,
      subscriptions: this.subscriptions,
    };
  }

  private async run(): Promise<void> {
    const signal = this.controller.signal;
    let wait: Backoff | undefined;
    while (!signal.aborted && !this.endReached && this.failed === undefined) {
      try {
        if (this.refused !== undefined) {
          const refused = this.refused;
          this.refused = undefined;
          throw refused;
        }
        if (!(await this.roomToRead())) return;
        this.events ??= await this.subscribe(signal);
        for await (const message of this.events) {
          const event = eventOf(message);
          this.accept(event);
          wait = undefined;
          this.retrying = undefined;
          this.options.onChange();
          if (this.endReached || !(await this.roomToRead())) break;
        }
        // The subscription ended (its 5 minutes are up): subscribe again at once.
      } catch (error) {
        if (signal.aborted) return;
        if (isFatal(error)) {
          this.failed = error;
          this.options.onChange();
          return;
        }
        if (isThrottling(error) || REFUSALS.has(errorName(error))) this.throttled++;
        this.retrying = `${errorName(error)}: ${describeError(error)}`;
        wait = wait === undefined ? backoff(this.options.retry, this.options.random) : wait.next();
        this.events = undefined;
        if (!(await this.sleep(wait.delayMs))) return;
        continue;
      } finally {
        this.subscribing = false;
      }
      this.events = undefined;
    }
  }

  /** Buffers one event's records, then keeps its continuation (see the class doc). */
  private accept(event: SubscribeToShardEvent): void {
    const records = event.Records ?? [];
    for (let i = 0; i < records.length; i++) this.buffer.push(records[i]!);
    this.lagMs = event.MillisBehindLatest;
    this.idle = records.length === 0 && (event.MillisBehindLatest ?? 0) === 0;
    if (event.ContinuationSequenceNumber === undefined || event.ContinuationSequenceNumber === null) {
      this.endReached = true;
    } else {
      this.continuation = event.ContinuationSequenceNumber;
    }
  }

  private async subscribe(signal?: AbortSignal): Promise<AsyncIterable<SubscribeToShardEventStream>> {
    const start: ShardStart =
      this.continuation === undefined
        ? this.start!
        : {
            request: {
              ShardIteratorType: 'AFTER_SEQUENCE_NUMBER',
              StartingSequenceNumber: this.continuation,
            },
          };
    this.subscribing = true;
    this.subscriptions++;
    const out = await this.options.client.send(
      new SubscribeToShardCommand({
        ConsumerARN: this.options.consumerArn,
        ShardId: this.shard,
        StartingPosition: startingPosition(start),
      }),
      // `stop` must close every subscription, the first (made by `open` with the caller's signal) included.
      {
        abortSignal:
          signal === undefined ? this.controller.signal : AbortSignal.any([signal, this.controller.signal]),
      },
    );
    this.subscribing = false;
    if (out.EventStream === undefined) throw new Error('SubscribeToShard answered without an event stream');
    return out.EventStream;
  }

  /** Waits while paused or full; false once stopped. */
  private async roomToRead(): Promise<boolean> {
    const signal = this.controller.signal;
    while (!signal.aborted && (this.paused || this.buffered >= this.options.prefetch)) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = undefined;
    }
    return !signal.aborted;
  }

  private async sleep(ms: number): Promise<boolean> {
    try {
      await this.options.clock.sleep(ms, this.controller.signal);
      return true;
    } catch {
      return false;
    }
  }

  private nudge(): void {
    this.wake?.();
  }
}

/**
 * A failure subscribing again cannot fix: a client fault Kinesis answered with (consumer or shard gone,
 * access denied, bad start) other than a refusal or throttling. Anything else — a stream reset, a
 * timeout, an HTTP/2 protocol error, a server fault — is subscribed again after a backoff.
 */
function isFatal(error: unknown): boolean {
  if (isTransient(error) || REFUSALS.has(errorName(error))) return false;
  return (error as { $fault?: unknown } | null)?.$fault === 'client';
}

/** The event of a stream message; a modelled exception (`ResourceInUseException`, …) is thrown. */
function eventOf(message: SubscribeToShardEventStream): SubscribeToShardEvent {
  if (message.SubscribeToShardEvent !== undefined) return message.SubscribeToShardEvent;
  for (const [name, value] of Object.entries(message)) {
    if (value === undefined || name === '$unknown') continue;
    throw Object.assign(new Error(describeError(value)), {
      name,
      $fault: name === 'InternalFailureException' ? 'server' : 'client',
    });
  }
  throw new Error('SubscribeToShard sent an event of an unknown type');
}
