import {
  type KinesisClient,
  SubscribeToShardCommand,
  type SubscribeToShardEvent,
  type SubscribeToShardEventStream,
} from '@aws-sdk/client-kinesis';
import { describeError } from '../../errors/agentctl-error.js';
import { type Backoff, type BackoffOptions, backoff } from '../../retry/backoff.js';
import { BufferedShardReader, type BufferedShardReaderOptions } from './buffered-shard-reader.js';
import { errorName, isThrottling, isTransient } from './kinesis-errors.js';
import { type ShardStart, startingPosition } from './shard-start.js';

/** `prefetch`: past it the event stream is not read (HTTP/2 flow control holds Kinesis back). */
export interface SubscriptionReaderOptions extends BufferedShardReaderOptions {
  /** A client whose handler speaks HTTP/2 (`NodeHttp2Handler`): `SubscribeToShard` needs it. */
  readonly client: KinesisClient;
  /** The registered, ACTIVE stream consumer. */
  readonly consumerArn: string;
  /** Waits before subscribing again after a refusal or a failure. */
  readonly retry: BackoffOptions;
  readonly random: () => number;
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
export class SubscriptionReader extends BufferedShardReader {
  /** Where the next subscription starts: after the last event's continuation. */
  private continuation: string | undefined;
  private events: AsyncIterable<SubscribeToShardEventStream> | undefined;
  private subscribing = false;
  /** Why the first subscription failed, for `run` to back off before trying again. */
  private refused: unknown;
  private subscriptions = 0;

  constructor(private readonly options: SubscriptionReaderOptions) {
    super(options);
  }

  /**
   * Subscribes for the first time (so that `latest` means "from now"). A refusal or a transient failure
   * is left to the background loop, which backs off first. @throws the SDK's error when Kinesis refuses
   * the starting point or the consumer (see `isFatal`).
   */
  async open(signal?: AbortSignal): Promise<void> {
    if (!this.takeStart()) return;
    try {
      this.events = await this.subscribe(signal);
    } catch (error) {
      if (signal?.aborted || isFatal(error)) throw error;
      this.refused = error;
    }
  }

  /** A `SubscribeToShard` call is under way (events are pushed without calls once subscribed). */
  get fetching(): boolean {
    return this.subscribing;
  }

  protected ownStatus() {
    return { expiredIterators: 0, subscriptions: this.subscriptions };
  }

  protected async run(): Promise<void> {
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
    while (!signal.aborted && (this.paused || this.buffered >= this.options.prefetch)) await this.nap();
    return !signal.aborted;
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
