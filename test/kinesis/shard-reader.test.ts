import {
  ExpiredIteratorException,
  type KinesisClient,
  ProvisionedThroughputExceededException,
} from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { isSourceUnavailableError } from '../../src/core/errors/source-unavailable-error.js';
import { KinesisSource, type KinesisSourceOptions } from '../../src/core/sources/kinesis/kinesis-source.js';
import { type Bytes, END_OF_PARTITION, type Message, type StartPosition } from '../../src/core/types.js';
import { type Call, type Fault, instrument } from './support/instrument.js';
import {
  type Kinesalite,
  listShards,
  putRecords,
  splitShard,
  startKinesalite,
} from './support/kinesalite.js';

const SHARD = 'shardId-000000000000';
const EARLIEST: StartPosition = { kind: 'earliest' };
const text = (m: Message<Bytes>) => new TextDecoder().decode(m.payload);

let server: Kinesalite;
beforeAll(async () => {
  server = await startKinesalite();
});
afterAll(async () => {
  await server.close();
});

interface Setup {
  readonly stream: string;
  readonly source: KinesisSource;
  readonly calls: Call[];
  readonly admin: KinesisClient;
}

async function setup(
  shards: number,
  fault?: Fault,
  options: Partial<Omit<KinesisSourceOptions, 'stream' | 'client'>> = {},
): Promise<Setup> {
  const stream = await server.createStream(shards, 'reader');
  const client = server.client();
  const calls = instrument(client, fault);
  const source = new KinesisSource({ stream, client, ownsClient: true, ...options });
  const admin = server.client();
  onTestFinished(async () => {
    await source.close();
    admin.destroy();
  });
  await source.connect();
  return { stream, source, calls, admin };
}

function values(n: number, tag = 'v'): { key: string; data: string }[] {
  return Array.from({ length: n }, (_, i) => ({ key: `key-${i % 5}`, data: `{"${tag}":${i}}` }));
}

async function readUntil(
  source: KinesisSource,
  count: number,
  timeoutMs = 10_000,
): Promise<Message<Bytes>[]> {
  const got: Message<Bytes>[] = [];
  const deadline = Date.now() + timeoutMs;
  while (got.length < count && Date.now() < deadline) got.push(...(await source.poll(1_000)).messages);
  return got;
}

const getRecords = (calls: readonly Call[]) => calls.filter((c) => c.command === 'GetRecordsCommand');

describe('Shard reader', () => {
  it('Given GetRecords throttled four times in a row, When reading, Then it backs off with growing waits and still delivers every record once', async () => {
    const throttled = (_: Call, i: number) =>
      _.command === 'GetRecordsCommand' && i >= 1 && i <= 4
        ? new ProvisionedThroughputExceededException({ message: 'Rate exceeded for shard', $metadata: {} })
        : undefined;
    const { stream, source, calls, admin } = await setup(1, throttled, {
      retry: { kind: 'exponential', baseMs: 50, maxMs: 1_000, jitter: 0.5 },
      random: () => 0,
    });
    await source.assign(new Map([[SHARD, EARLIEST]]));
    await readUntil(source, 0, 0);
    await putRecords(admin, stream, values(30));

    const got = await readUntil(source, 30);

    expect(got.map(text)).toEqual(values(30).map((v) => v.data));
    const times = getRecords(calls).map((c) => c.at);
    // Calls 1..4 were throttled: the waits after them are 50, 100, 200 and 400 ms (no jitter drawn).
    const gaps = [times[2]! - times[1]!, times[3]! - times[2]!, times[4]! - times[3]!, times[5]! - times[4]!];
    expect(gaps.map((g, i) => g >= 50 * 2 ** i - 5)).toEqual([true, true, true, true]);
    const [status] = await source.describe();
    expect(status?.detail).toMatchObject({ throttled: 4 });
    expect(status?.detail?.retrying).toBeUndefined();
  });

  it('Given the iterator expires after part of the shard was fetched, When reading on, Then a new iterator starts after the last record fetched and nothing is lost or repeated', async () => {
    const expired = (call: Call, i: number) =>
      call.command === 'GetRecordsCommand' && i === 3
        ? new ExpiredIteratorException({ message: 'Iterator expired', $metadata: {} })
        : undefined;
    const { stream, source, calls, admin } = await setup(1, expired, { maxRecordsPerCall: 10 });
    const sequences = await putRecords(admin, stream, values(50));
    await source.assign(new Map([[SHARD, EARLIEST]]));

    const got = await readUntil(source, 50);
    got.push(...(await source.poll(100)).messages);

    expect(got.map((m) => m.position)).toEqual(sequences);
    const iterators = calls.filter((c) => c.command === 'GetShardIteratorCommand');
    expect(iterators.map((c) => c.input.ShardIteratorType)).toEqual([
      'TRIM_HORIZON',
      'AFTER_SEQUENCE_NUMBER',
    ]);
    expect(iterators[1]!.input.StartingSequenceNumber).toBe(sequences[29]);
    const [status] = await source.describe();
    expect(status?.detail).toMatchObject({ expiredIterators: 1 });
  });

  it('Given an idle shard, When polled for a second, Then GetRecords is called at most once per 200 ms; with records flowing it is called again at once', async () => {
    const { stream, source, calls, admin } = await setup(1, undefined, { maxRecordsPerCall: 10 });
    await source.assign(new Map([[SHARD, EARLIEST]]));
    const started = Date.now();
    while (Date.now() - started < 1_000) await source.poll(10);
    const idle = getRecords(calls);
    expect(idle.length).toBeLessThanOrEqual(6);
    for (let i = 1; i < idle.length; i++) expect(idle[i]!.at - idle[i - 1]!.at).toBeGreaterThanOrEqual(195);

    await putRecords(admin, stream, values(100));
    const before = getRecords(calls).length;
    const flowing = Date.now();
    const got = await readUntil(source, 100);

    expect(got).toHaveLength(100);
    // Ten calls of ten records: with a 200 ms pause between them this would take two seconds.
    expect(getRecords(calls).length - before).toBeGreaterThanOrEqual(10);
    expect(Date.now() - flowing).toBeLessThan(1_500);
  });

  it('Given a shard behind the tip (MillisBehindLatest > 0) that returns no records, When read, Then it is asked again at once', async () => {
    const behind = (call: Call, i: number) =>
      call.command === 'GetRecordsCommand' && i < 5
        ? (output: Record<string, unknown>) => {
            output.MillisBehindLatest = 60_000;
          }
        : undefined;
    const { source, calls } = await setup(1, behind);
    await source.assign(new Map([[SHARD, EARLIEST]]));
    const started = Date.now();
    let fetch = await source.poll(10);
    while (Date.now() - started < 2_000 && getRecords(calls).length < 6) fetch = await source.poll(10);

    const times = getRecords(calls).map((c) => c.at);
    expect(times.length).toBeGreaterThanOrEqual(6);
    expect(times[5]! - times[0]!).toBeLessThan(200);
    // Once a call answers with no lag, the reader reports it and goes idle.
    let lag = (await source.describe())[0]?.lagMs;
    while (lag !== 0 && Date.now() - started < 3_000) {
      fetch = await source.poll(10);
      lag = (await source.describe())[0]?.lagMs;
    }
    expect(lag).toBe(0);
    expect(fetch.messages).toEqual([]);
  });

  it('Given records piling up unread, When nobody polls, Then the reader fetches no more than its prefetch bound; paused, it fetches nothing more', async () => {
    const { stream, source, calls, admin } = await setup(1, undefined, {
      maxRecordsPerCall: 10,
      prefetchRecords: 25,
    });
    await putRecords(admin, stream, values(200));
    await source.assign(new Map([[SHARD, EARLIEST]]));
    await new Promise((resolve) => setTimeout(resolve, 500));

    const [status] = await source.describe();
    expect(status?.detail?.buffered).toBe(25);
    expect(getRecords(calls)).toHaveLength(3);

    source.pause([SHARD]);
    const got = await readUntil(source, 25);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(got).toHaveLength(25);
    expect(getRecords(calls)).toHaveLength(3);
    expect((await source.describe())[0]?.state).toBe('paused');

    source.resume([SHARD]);
    got.push(...(await readUntil(source, 175)));
    expect(got.map(text)).toEqual(values(200).map((v) => v.data));
  });

  it('Given a full buffer, When the processor takes a few records at a time, Then the reader asks again only once half a call fits, for all the room there is', async () => {
    const { stream, source, calls, admin } = await setup(1, undefined, {
      maxRecordsPerCall: 10,
      prefetchRecords: 20,
    });
    await putRecords(admin, stream, values(100));
    await source.assign(new Map([[SHARD, EARLIEST]]));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(getRecords(calls).map((c) => c.input.Limit)).toEqual([10, 10]);

    const got = [...(await source.poll(4)).messages];
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(getRecords(calls)).toHaveLength(2);

    got.push(...(await source.poll(2)).messages);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(getRecords(calls).map((c) => c.input.Limit)).toEqual([10, 10, 6]);

    got.push(...(await readUntil(source, 94)));
    expect(got.map(text)).toEqual(values(100).map((v) => v.data));
  });

  it('Given a shard closed by a split, When read to its end, Then its end is reported once, after its last record, and its children wait until it is finished', async () => {
    const { stream, source, admin } = await setup(1);
    const before = await putRecords(admin, stream, values(20, 'before'));
    await splitShard(admin, stream, SHARD);
    await putRecords(admin, stream, values(20, 'after'));
    const shards = await source.partitions();
    expect(shards).toEqual([
      { id: SHARD, closed: true },
      { id: 'shardId-000000000001', parents: [SHARD] },
      { id: 'shardId-000000000002', parents: [SHARD] },
    ]);
    await source.assign(new Map([[SHARD, EARLIEST]]));

    const fetches = [];
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const fetch = await source.poll(7);
      fetches.push(fetch);
      if (fetch.ended.length > 0) break;
    }
    for (let i = 0; i < 3; i++) fetches.push(await source.poll(7));

    const messages = fetches.flatMap((f) => f.messages);
    expect(messages.map((m) => m.position)).toEqual(before);
    const endedAt = fetches.findIndex((f) => f.ended.length > 0);
    expect(fetches.flatMap((f) => f.ended)).toEqual([SHARD]);
    // Until its END is checkpointed the shard is not caught up: its children are still to come.
    expect(fetches.slice(endedAt + 1).every((f) => f.messages.length === 0 && !f.caughtUp)).toBe(true);
    const states = Object.fromEntries((await source.describe()).map((s) => [s.partition, s.state]));
    expect(states).toEqual({
      [SHARD]: 'ended',
      'shardId-000000000001': 'waiting',
      'shardId-000000000002': 'waiting',
    });

    await source.commit(new Map([[SHARD, END_OF_PARTITION]]));
    expect(await source.poll(7)).toEqual({ messages: [], ended: [], caughtUp: true });
    await source.revoke([SHARD]);
    const after = (await source.describe()).map((s) => [s.partition, s.state, s.detail?.parents]);
    expect(after).toEqual([
      [SHARD, 'ended', undefined],
      ['shardId-000000000001', 'unassigned', SHARD],
      ['shardId-000000000002', 'unassigned', SHARD],
    ]);
    expect((await listShards(admin, stream)).length).toBe(3);
  });

  it('Given a closed shard restarted from a checkpoint at its last record, When Kinesis first answers with no records and another iterator, Then the shard is not caught up before its end is handed over and its END committed', async () => {
    // Kinesis may answer a closed shard with empty pages and a next iterator before the null iterator of
    // its end: the first three pages are made so.
    let rewritten = 0;
    const { stream, source, admin } = await setup(1, (call) => {
      if (call.command !== 'GetRecordsCommand') return undefined;
      return (output) => {
        if (output.NextShardIterator !== undefined || rewritten >= 3) return;
        rewritten++;
        output.NextShardIterator = call.input.ShardIterator;
        output.MillisBehindLatest = 0;
      };
    });
    const before = await putRecords(admin, stream, values(5, 'before'));
    await splitShard(admin, stream, SHARD);
    await source.partitions();
    await source.assign(new Map([[SHARD, { kind: 'after', position: before.at(-1)! }]]));

    const fetches = [];
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const fetch = await source.poll(7);
      fetches.push(fetch);
      if (fetch.ended.length > 0) break;
    }

    expect(rewritten).toBe(3);
    expect(fetches.flatMap((f) => f.messages)).toEqual([]);
    expect(fetches.flatMap((f) => f.ended)).toEqual([SHARD]);
    expect(fetches.filter((f) => f.caughtUp)).toEqual([]);
    expect((await source.poll(7)).caughtUp).toBe(false);
    await source.commit(new Map([[SHARD, END_OF_PARTITION]]));
    expect((await source.poll(7)).caughtUp).toBe(true);
  });

  it('Given records written before and after a moment, When started at that timestamp or at a sequence number, Then reading begins there', async () => {
    const { stream, source, admin } = await setup(1);
    const before = await putRecords(admin, stream, values(5, 'before'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const moment = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const after = await putRecords(admin, stream, values(5, 'after'));

    await source.assign(new Map([[SHARD, { kind: 'timestamp', ms: moment }]]));
    expect((await readUntil(source, 5)).map((m) => m.position)).toEqual(after);

    await source.assign(new Map([[SHARD, { kind: 'at', position: before[3]! }]]));
    expect((await readUntil(source, 7)).map((m) => m.position)).toEqual([...before.slice(3), ...after]);
  });

  it('Given a stream that does not exist or an endpoint that does not answer, When connecting, Then a SourceUnavailableError says what to fix', async () => {
    const missing = new KinesisSource({
      stream: 'no-such-stream',
      client: server.client(),
      ownsClient: true,
    });
    const error = await missing.connect().catch((e: unknown) => e);
    expect(isSourceUnavailableError(error)).toBe(true);
    expect(String((error as Error).message)).toMatch(/"no-such-stream".*does not exist/);
    expect((error as { hint?: string }).hint).toMatch(/create-stream/);
    await missing.close();

    const { createKinesisClient } = await import('../../src/core/transports/kinesis/kinesis-client.js');
    const nowhere = new KinesisSource({
      stream: 'orders',
      client: createKinesisClient({ endpoint: 'http://127.0.0.1:1', maxAttempts: 1 }),
      ownsClient: true,
    });
    const refused = await nowhere.connect().catch((e: unknown) => e);
    expect(isSourceUnavailableError(refused)).toBe(true);
    expect((refused as Error).message).toMatch(/endpoint does not answer/);
    await nowhere.close();
  });
});
