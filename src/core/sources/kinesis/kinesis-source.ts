import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { Alarm, type Clock, nextTurn, systemClock } from '../../clock.js';
import { redactUri } from '../../redact.js';
import type { BackoffOptions } from '../../retry/backoff.js';
import type { StateStore } from '../../store/state-store.js';
import type { Bytes, Message, Partition, Position, StartPosition } from '../../types.js';
import type { Fetch, PartitionInfo, PartitionStatus, Source } from '../source.js';
import { compareKinesisPositions } from './kinesis-position.js';
import { cannotStart } from './kinesis-source-errors.js';
import { ShardReader } from './shard-reader.js';
import { ShardReaders } from './shard-readers.js';
import { partitionOf, shardRows } from './shard-rows.js';
import { checkStream, listShards } from './stream-calls.js';
import { ensureStreamConsumer, type StreamConsumer } from './stream-consumer.js';
import { SubscriptionReader } from './subscription-reader.js';

export interface KinesisSourceOptions {
  readonly stream: string;
  readonly client: KinesisClient;
  /** The client was made for this source: `close` destroys it. */
  readonly ownsClient?: boolean;
  /** The URI it was opened from (shown redacted); default `kinesis://STREAM`. */
  readonly uri?: string;
  /** With `group`: where `describe` reads the committed positions (as the local source does). */
  readonly store?: StateStore;
  readonly group?: string;
  readonly clock?: Clock;
  /** Least wait between `GetRecords` calls on an idle shard (default 200 ms; lower values are raised to 200). */
  readonly pollIntervalMs?: number;
  /** `Limit` of one `GetRecords` call (default and maximum 10,000). */
  readonly maxRecordsPerCall?: number;
  /** Records fetched ahead per shard before fetching stops (default 10,000). */
  readonly prefetchRecords?: number;
  /** Backoff after throttling and transient failures (default exponential 200 ms → 10 s, half jitter). */
  readonly retry?: BackoffOptions;
  readonly random?: () => number;
  /**
   * Enhanced fan-out: read as this stream consumer (registered by `connect` if missing) with
   * `SubscribeToShard` through `subscribeClient`, instead of polling with `GetRecords`.
   */
  readonly consumer?: { readonly name: string; readonly subscribeClient: KinesisClient };
}

type Reader = ShardReader | SubscriptionReader;

/** Kinesis allows 5 `GetRecords` calls per second per shard, shared by every consumer of the shard. */
const MIN_IDLE_MS = 200;
const MAX_LIMIT = 10_000;
const DEFAULT_RETRY: BackoffOptions = { kind: 'exponential', baseMs: 200, maxMs: 10_000, jitter: 0.5 };

/**
 * An AWS Kinesis data stream (`kinesis://STREAM?region=R&endpoint=URL`), read shard by shard as the KCL
 * does: partitions are shards, positions are sequence numbers (`seq`, or `seq:sub` for a user record
 * de-aggregated from a KPL aggregate), checkpoints live in the state store and agents split shards through
 * leases. Each assigned shard has a `ShardReader` that fetches ahead in the background.
 *
 * Resharding: `partitions()` reports each shard's parents and whether it is closed; the lease assignor
 * only hands out a child once its parents' `END` is checkpointed, so a key's records are read in order
 * across a split or a merge. A closed shard read to its end is reported in `Fetch.ended` after its last
 * message, and the processor checkpoints `END` for it once everything before is done.
 */
export class KinesisSource implements Source {
  readonly id: string;
  readonly uri: string;
  readonly coordination = 'leases' as const;
  readonly checkpointing = 'store' as const;
  private readonly stream: string;
  private readonly client: KinesisClient;
  private readonly clock: Clock;
  private readonly idleMs: number;
  private readonly limit: number;
  private readonly prefetch: number;
  private readonly readers = new ShardReaders<Reader>();
  /** The stream consumer enhanced fan-out reads as, once `connect` registered or found it. */
  private streamConsumer: StreamConsumer | undefined;
  /** Positions committed through this source (for `describe` without a store). */
  private readonly committed = new Map<Partition, Position>();
  private known: PartitionInfo[] = [];
  /** Shards the last listing reported closed: one of them is only caught up once its `END` is committed. */
  private closedShards = new Set<Partition>();
  private readonly news = new Alarm();
  private closed = false;
  /** Aborted by `close`: every call of the source in flight ends with it. */
  private calls = new AbortController();
  /** The listing `describe` started, while it is under way: `describe` never waits on a second one. */
  private describing: Promise<PartitionInfo[]> | undefined;
  /** What the last `poll` said of `caughtUp`: a poll only waits when it has nothing new to tell. */
  private toldCaughtUp = false;

  constructor(private readonly options: KinesisSourceOptions) {
    this.stream = options.stream;
    this.client = options.client;
    this.id = `kinesis://${options.stream}`;
    this.uri = redactUri(options.uri ?? this.id);
    this.clock = options.clock ?? systemClock;
    this.idleMs = Math.max(MIN_IDLE_MS, options.pollIntervalMs ?? MIN_IDLE_MS);
    this.limit = Math.min(MAX_LIMIT, Math.max(1, options.maxRecordsPerCall ?? MAX_LIMIT));
    this.prefetch = Math.max(1, options.prefetchRecords ?? 10_000);
  }

  /**
   * Checks that the stream exists and can be read, and returns its shards (see `partitions`), listed
   * meanwhile — or by the `describe` under way, if any —, undefined if that listing failed: a consumer
   * starting takes them for its first discovery instead of waiting for a listing of its own.
   * @throws SourceUnavailableError saying what to fix.
   */
  async connect(signal?: AbortSignal): Promise<PartitionInfo[] | undefined> {
    this.closed = false;
    if (this.calls.signal.aborted) this.calls = new AbortController();
    const listing = (this.describing ?? this.partitions(signal)).catch(() => undefined);
    const arn = await checkStream(this.client, this.stream, this.uri, this.callSignal(signal));
    const consumer = this.options.consumer;
    if (consumer !== undefined && this.streamConsumer === undefined) {
      this.streamConsumer = await ensureStreamConsumer({
        client: this.client,
        streamArn: arn ?? '',
        name: consumer.name,
        clock: this.clock,
        signal: this.callSignal(signal),
      });
    }
    return listing;
  }

  /** The enhanced fan-out consumer this source reads as (after `connect`); undefined when it polls. */
  get consumer(): StreamConsumer | undefined {
    return this.streamConsumer;
  }

  /** Every shard (`ListShards`, all pages), with its parents and whether it is closed. */
  async partitions(signal?: AbortSignal): Promise<PartitionInfo[]> {
    const shards = await listShards(this.client, this.stream, this.callSignal(signal));
    this.known = shards.map(partitionOf);
    this.closedShards = new Set(this.known.filter((p) => p.closed === true).map((p) => p.id));
    return this.known;
  }

  /**
   * Gets an iterator for each shard (so `latest` means now), then starts its reader. A shard already
   * assigned is restarted from the new position. @throws UsageError for a position that does not belong to
   * the shard; SourceUnavailableError when the stream or shard is gone.
   */
  async assign(starts: ReadonlyMap<Partition, StartPosition>): Promise<void> {
    const opened: Reader[] = [];
    await Promise.all(
      [...starts].map(async ([shard, start]) => {
        const reader = this.reader(shard, start);
        try {
          await reader.open(this.callSignal());
        } catch (error) {
          throw cannotStart(this.stream, this.uri, shard, start, error);
        }
        opened.push(reader);
      }),
    ).catch(async (error: unknown) => {
      await Promise.all(opened.map((r) => r.stop()));
      throw error;
    });
    for (const reader of opened) {
      await this.readers.put(reader);
      reader.begin();
    }
  }

  /** A subscription reader with a consumer (enhanced fan-out), else a polling reader. */
  private reader(shard: Partition, start: StartPosition): Reader {
    const common = {
      shard,
      start,
      clock: this.clock,
      prefetch: this.prefetch,
      retry: this.options.retry ?? DEFAULT_RETRY,
      random: this.options.random ?? Math.random,
      onChange: () => this.wake(),
    };
    const consumer = this.options.consumer;
    if (consumer !== undefined && this.streamConsumer !== undefined) {
      return new SubscriptionReader({
        ...common,
        client: consumer.subscribeClient,
        consumerArn: this.streamConsumer.arn,
      });
    }
    return new ShardReader({
      ...common,
      client: this.client,
      stream: this.stream,
      idleMs: this.idleMs,
      limit: this.limit,
    });
  }

  async revoke(partitions: readonly Partition[]): Promise<void> {
    await this.readers.remove(partitions);
  }

  /**
   * Takes buffered messages round-robin across shards (at most `max`), then reports shards whose end was
   * reached and fully handed over. With nothing buffered it waits for a reader to fetch something, at most
   * the idle poll interval — unless the source has just become caught up: that is news too, told at once
   * (a consumer running until empty stops on it, and would otherwise wait for an idle shard's next call;
   * a poll that finds the source still caught up waits as before, so an idle consumer does not spin).
   * `caughtUp` holds when every unpaused shard has nothing buffered and its last answer found nothing
   * new (a call under way since does not count until it answers) — and a shard handed over as ended has
   * had its `END` committed (until then its children cannot be assigned, so the stream is not read to its
   * end).
   * @throws SourceUnavailableError when a reader stopped on a failure retrying cannot fix (the stream or
   * shard was deleted, access was revoked).
   */
  async poll(max: number, signal?: AbortSignal): Promise<Fetch> {
    this.readers.throwFailure(this.stream);
    const fetch = this.collect(max);
    if (fetch.messages.length > 0 || fetch.ended.length > 0 || signal?.aborted) {
      // A consumer working through buffered records never waits on I/O, so without this the responses of
      // the readers' calls in flight would sit unread on their sockets until the buffers ran dry.
      if (this.readers.anyInFlight()) await nextTurn();
      return this.told(fetch);
    }
    if (fetch.caughtUp && !this.toldCaughtUp) return this.told(fetch);
    // Until a reader has news, the idle poll interval passed, or `signal` aborted.
    await this.news.wait(this.idleMs, this.clock, signal);
    this.readers.throwFailure(this.stream);
    return this.told(this.collect(max));
  }

  async commit(positions: ReadonlyMap<Partition, Position>): Promise<void> {
    for (const [partition, position] of positions) this.committed.set(partition, position);
  }

  pause(partitions: readonly Partition[]): void {
    this.readers.pause(partitions);
  }

  resume(partitions: readonly Partition[]): void {
    this.readers.resume(partitions);
  }

  /**
   * Per shard: committed position (the store's checkpoint for the group, else what was committed here),
   * the latest sequence number fetched, `MillisBehindLatest` of the last `GetRecords` as `lagMs`, and the
   * state: `reading`/`paused` while assigned, `ended` once read to its end, `waiting` for a child whose
   * parents are not finished, else `unassigned`. `detail.parents` names the parents. Once closed, the
   * shards last listed are shown (a call would only be aborted).
   */
  async describe(signal?: AbortSignal): Promise<PartitionStatus[]> {
    // A status asked for every second must not pile up listings behind an endpoint that does not answer:
    // while one is under way, the shards last listed are shown.
    let shards = this.known;
    if (this.describing === undefined && !this.closed) {
      const listing = this.partitions(signal).finally(() => {
        if (this.describing === listing) this.describing = undefined;
      });
      this.describing = listing;
      shards = await listing.catch(() => this.known);
    }
    const { store, group } = this.options;
    const checkpoints =
      store !== undefined && group !== undefined ? await store.checkpoints.get(group, this.id) : undefined;
    const committedOf = (id: Partition) => checkpoints?.get(id)?.position ?? this.committed.get(id);
    return shardRows(shards, committedOf, (id) => this.readers.get(id), this.streamConsumer);
  }

  compare(a: Position, b: Position): number {
    return compareKinesisPositions(a, b);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.calls.abort(new Error('Kinesis source closed'));
    await this.revoke(this.readers.shards());
    this.wake();
    if (this.options.ownsClient) {
      this.client.destroy();
      this.options.consumer?.subscribeClient.destroy();
    }
  }

  private collect(max: number): Fetch {
    const messages: Message<Bytes>[] = [];
    const ended: Partition[] = [];
    this.readers.take(max, messages, ended);
    return {
      messages,
      ended,
      caughtUp: messages.length === 0 && this.readers.caughtUp(this.committed, this.closedShards),
    };
  }

  /** Returns `fetch`, remembering what it said of `caughtUp`. */
  private told(fetch: Fetch): Fetch {
    this.toldCaughtUp = fetch.caughtUp;
    return fetch;
  }

  /** The signal of one call: aborted by the caller's `signal` or by `close`. */
  private callSignal(signal?: AbortSignal): AbortSignal {
    return signal === undefined ? this.calls.signal : AbortSignal.any([signal, this.calls.signal]);
  }

  private wake(): void {
    this.news.wake();
  }
}
