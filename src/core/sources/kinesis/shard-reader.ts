import {
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { describeError } from '../../errors/agentctl-error.js';
import { type Backoff, type BackoffOptions, backoff } from '../../retry/backoff.js';
import { BufferedShardReader, type BufferedShardReaderOptions } from './buffered-shard-reader.js';
import { errorName, isThrottling, isTransient } from './kinesis-errors.js';
import type { ShardStart } from './shard-start.js';

export interface ShardReaderOptions extends BufferedShardReaderOptions {
  readonly client: KinesisClient;
  readonly stream: string;
  /** Least wait between `GetRecords` calls while the shard is idle. */
  readonly idleMs: number;
  /** `Limit` of one `GetRecords` call. */
  readonly limit: number;
  /** Waits after throttling and transient failures. */
  readonly retry: BackoffOptions;
  readonly random: () => number;
}

/** `Limit` of a reader's first call. */
const FIRST_STRIDE = 500;

/**
 * Reads one shard: holds its iterator and fetches ahead with `GetRecords` into a bounded buffer, in the
 * background, so that reading overlaps processing; `take` hands buffered messages to the source's `poll`.
 *
 * - **Pace.** An idle shard (no records and `MillisBehindLatest` 0) is asked again after `idleMs` at the
 *   earliest; a shard with records, or one still behind the tip, is asked again at once. Nothing is
 *   fetched while the reader is paused or `prefetch` records wait in the buffer, and a call asks for no
 *   more than the room left — once that room is at least half of a call, so a buffer the processor
 *   empties a few records at a time is topped up by few large calls, not many small ones. A reader starts with calls of 500 records that double while they come back
 *   full, up to `limit` (slow start): the processor gets work after one small response, not one of 10,000.
 * - **Throttling and transient failures** (`ProvisionedThroughputExceededException`, limits, 5xx, the
 *   endpoint not answering): the same iterator is retried after a backoff with jitter that grows while the
 *   failures last. Any other failure (the stream or shard is gone, access denied) stops the reader; it is
 *   reported through `failure`.
 * - **Expired iterator** (`ExpiredIteratorException`, an iterator unused for 5 minutes while paused or
 *   with a full buffer): a new one is taken after the last record fetched — every record before it was
 *   handed over or is still in the buffer — so nothing is skipped or read twice, and it is never behind
 *   the checkpoint. Before anything was fetched, the starting point is asked for again.
 * - **End.** A shard whose `NextShardIterator` is null is closed and read to its end: `ended` becomes true
 *   once the buffer is empty too.
 * - **KPL.** Aggregated records become one message per user record at `sequence:sub`; a corrupt aggregate
 *   is one message at `sequence`, whole (see `deaggregate`).
 */
export class ShardReader extends BufferedShardReader {
  private iterator: string | undefined;
  private inFlight = false;
  /** `Limit` of the next call before the buffer's room is considered (slow start, see `run`). */
  private stride: number;
  private expiredIterators = 0;

  constructor(private readonly options: ShardReaderOptions) {
    super(options);
    this.stride = Math.min(options.limit, FIRST_STRIDE);
  }

  /**
   * Gets the first iterator (so that `latest` means "from now", not "from whenever the background loop
   * ran"). @throws the SDK's error when Kinesis refuses the starting point.
   */
  async open(signal?: AbortSignal): Promise<void> {
    if (this.takeStart()) this.iterator = await this.requestIterator(this.start!, signal);
  }

  /** A call to Kinesis is under way. */
  get fetching(): boolean {
    return this.inFlight;
  }

  protected ownStatus() {
    return { expiredIterators: this.expiredIterators };
  }

  protected async run(): Promise<void> {
    const { client, limit, idleMs, retry, random } = this.options;
    const signal = this.controller.signal;
    let wait: Backoff | undefined;
    let expiredInARow = 0;
    while (!signal.aborted && !this.endReached && this.failed === undefined) {
      if (this.paused || !this.roomForCall()) {
        await this.nap();
        continue;
      }
      let response: GetRecordsCommandOutput;
      let asked = 0;
      this.inFlight = true;
      try {
        if (this.iterator === undefined) this.iterator = await this.requestIterator(this.restart(), signal);
        // Ask for no more than the buffer has room for, so memory stays within `prefetch` records.
        asked = Math.max(1, Math.min(this.stride, this.options.prefetch - this.buffered));
        response = await client.send(new GetRecordsCommand({ ShardIterator: this.iterator, Limit: asked }), {
          abortSignal: signal,
        });
      } catch (error) {
        this.inFlight = false;
        if (signal.aborted) return;
        if (errorName(error) === 'ExpiredIteratorException') {
          this.expiredIterators++;
          this.iterator = undefined;
          // A fresh iterator that expires at once too (clock skew) is retried after a backoff, not in a loop.
          if (expiredInARow++ === 0) continue;
        } else if (!isTransient(error)) {
          this.failed = error;
          this.options.onChange();
          return;
        } else if (isThrottling(error)) {
          this.throttled++;
        }
        this.retrying = `${errorName(error)}: ${describeError(error)}`;
        wait = wait === undefined ? backoff(retry, random) : wait.next();
        if (!(await this.sleep(wait.delayMs))) return;
        continue;
      }
      this.inFlight = false;
      wait = undefined;
      expiredInARow = 0;
      this.retrying = undefined;
      this.accept(response);
      // Slow start: a reader far behind first asks for a small batch, so the processor gets work at once
      // instead of after one large response, then for twice as much each time a batch came back full.
      if ((response.Records?.length ?? 0) >= asked) this.stride = Math.min(limit, this.stride * 2);
      this.options.onChange();
      if (this.idle && !this.endReached && !(await this.sleep(idleMs))) return;
    }
  }

  /**
   * The buffer has room for a call worth making: at least half of the next call's `Limit` (the stride,
   * within `prefetch`). Topping a nearly full buffer up with many small calls would spend a round trip,
   * and one of the shard's 5 calls a second, on a few records each; the records still buffered keep the
   * processor busy meanwhile.
   */
  private roomForCall(): boolean {
    const room = this.options.prefetch - this.buffered;
    return room > 0 && room * 2 >= Math.min(this.stride, this.options.prefetch);
  }

  /** Buffers what one `GetRecords` returned and moves the iterator on. */
  private accept(response: GetRecordsCommandOutput): void {
    const records = response.Records ?? [];
    for (let i = 0; i < records.length; i++) this.buffer.push(records[i]!);
    this.lagMs = response.MillisBehindLatest;
    this.iterator = response.NextShardIterator ?? undefined;
    if (this.iterator === undefined) this.endReached = true;
    this.idle = records.length === 0 && (response.MillisBehindLatest ?? 0) === 0;
  }

  /** Where a new iterator starts after the old one expired: after the last record fetched. */
  private restart(): ShardStart {
    const last = this.buffer.lastSequence;
    if (last !== undefined) {
      return {
        request: { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: last },
      };
    }
    return this.start!;
  }

  private async requestIterator(start: ShardStart, signal?: AbortSignal): Promise<string | undefined> {
    const { client, stream, shard } = this.options;
    const response = await client.send(
      new GetShardIteratorCommand({ StreamName: stream, ShardId: shard, ...start.request }),
      signal === undefined ? {} : { abortSignal: signal },
    );
    // No iterator: the shard is closed and there is nothing at or after the starting point.
    if (response.ShardIterator === undefined) this.endReached = true;
    return response.ShardIterator;
  }
}
