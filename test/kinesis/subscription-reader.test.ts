import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { isSourceUnavailableError } from '../../src/core/errors/source-unavailable-error.js';
import { KinesisSource } from '../../src/core/sources/kinesis/kinesis-source.js';
import { openKinesisSource } from '../../src/core/sources/kinesis/open-kinesis-source.js';
import { openSqliteStore } from '../../src/core/store/sqlite/sqlite-state-store.js';
import {
  createKinesisClient,
  createKinesisHttp2Client,
} from '../../src/core/transports/kinesis/kinesis-client.js';
import { type Bytes, END_OF_PARTITION, type Message, type StartPosition } from '../../src/core/types.js';
import { type EfoServer, startEfoServer } from '../support/kinesis-efo-server.js';
import {
  type Kinesalite,
  listShards,
  placeRecords,
  putRecords,
  splitShard,
  startKinesalite,
} from './support/kinesalite.js';
import { aggregate } from './support/kpl-aggregate.js';

const SHARD = 'shardId-000000000000';
const EARLIEST: StartPosition = { kind: 'earliest' };
const text = (m: Message<Bytes>) => new TextDecoder().decode(m.payload);

let kinesalite: Kinesalite;
let efo: EfoServer;
beforeAll(async () => {
  kinesalite = await startKinesalite();
  efo = await startEfoServer({ kinesalite: kinesalite.endpoint, heartbeatMs: 200, activationMs: 100 });
});
afterAll(async () => {
  await efo.close();
  await kinesalite.close();
});

/** A connected source reading `stream` through the test server as consumer `name` (enhanced fan-out). */
async function efoSource(stream: string, name = 'agent'): Promise<KinesisSource> {
  const settings = { endpoint: efo.endpoint, region: 'us-east-1' };
  const source = new KinesisSource({
    stream,
    client: createKinesisClient(settings),
    ownsClient: true,
    consumer: { name, subscribeClient: createKinesisHttp2Client(settings) },
    retry: { kind: 'exponential', baseMs: 20, maxMs: 200, jitter: 0.5 },
  });
  onTestFinished(() => source.close());
  await source.connect();
  return source;
}

function values(n: number, tag = 'v'): { key: string; data: string }[] {
  return Array.from({ length: n }, (_, i) => ({ key: `key-${i % 7}`, data: `{"${tag}":${i}}` }));
}

async function readUntil(source: KinesisSource, count: number, timeoutMs = 15_000) {
  const got: Message<Bytes>[] = [];
  const ended: string[] = [];
  const deadline = Date.now() + timeoutMs;
  while (got.length < count && Date.now() < deadline) {
    const fetch = await source.poll(1_000);
    got.push(...fetch.messages);
    ended.push(...fetch.ended);
  }
  return { got, ended };
}

/** Polls until `shard`'s end is handed over (or `timeoutMs`); returns what came meanwhile. */
async function readToEnd(source: KinesisSource, shard: string, timeoutMs = 15_000) {
  const got: Message<Bytes>[] = [];
  const ended: string[] = [];
  const deadline = Date.now() + timeoutMs;
  while (!ended.includes(shard) && Date.now() < deadline) {
    const fetch = await source.poll(1_000);
    got.push(...fetch.messages);
    ended.push(...fetch.ended);
  }
  return { got, ended };
}

const subscriptionsOf = (stream: string, shard = SHARD) =>
  efo.subscriptions.filter((s) => s.stream === stream && s.shard === shard);

describe('Kinesis enhanced fan-out (SubscribeToShard through the test server)', () => {
  it('Given no consumer, When two sources connect with ?consumer=agent, Then the first registers it, the second reuses it, and both read every record of both shards', async () => {
    const stream = await kinesalite.createStream(2, 'efo');
    const placed = await placeRecords(kinesalite.client(), stream, values(60));
    const first = await efoSource(stream);
    const second = await efoSource(stream);

    expect(first.consumer?.name).toBe('agent');
    expect(first.consumer?.arn).toMatch(new RegExp(`stream/${stream}/consumer/agent:`));
    expect(second.consumer).toEqual(first.consumer);
    const shards = (await first.partitions()).map((p) => p.id);
    await first.assign(new Map(shards.map((s) => [s, EARLIEST])));
    const { got } = await readUntil(first, 60);

    expect(got.map(text).sort()).toEqual(
      values(60)
        .map((v) => v.data)
        .sort(),
    );
    for (const shard of shards) {
      expect(got.filter((m) => m.partition === shard).map((m) => m.position)).toEqual(
        placed.filter((p) => p.shard === shard).map((p) => p.sequence),
      );
    }
    const rows = await first.describe();
    expect(rows.every((r) => r.lagMs === 0 && r.detail?.consumer === 'agent')).toBe(true);
    expect(rows[0]?.detail?.consumerArn).toBe(first.consumer?.arn);
  });

  it('Given adapters.kinesis.consumer in the config, When the source is opened from a plain URI, Then it reads with enhanced fan-out as that consumer', async () => {
    const stream = await kinesalite.createStream(1, 'efo');
    await putRecords(kinesalite.client(), stream, values(5));
    const uri = `kinesis://${stream}?region=us-east-1&endpoint=${encodeURIComponent(efo.endpoint)}`;
    const store = await openSqliteStore();
    const source = openKinesisSource(uri, { store, settings: { kinesis: { consumer: 'from-config' } } });
    onTestFinished(async () => {
      await source.close();
      await store.close();
    });
    await source.connect();
    await source.assign(new Map([[SHARD, EARLIEST]]));

    const { got } = await readUntil(source, 5);

    expect(source.consumer?.name).toBe('from-config');
    expect(got.map(text)).toEqual(values(5).map((v) => v.data));
    expect(subscriptionsOf(stream)).toHaveLength(1);
  });

  it('Given subscriptions that end after 300 ms, When records keep coming, Then the reader subscribes again after each continuation and delivers every record once, in order', async () => {
    const stream = await kinesalite.createStream(1, 'efo');
    const admin = kinesalite.client();
    const source = await efoSource(stream);
    efo.setSubscriptionMs(300);
    onTestFinished(() => efo.setSubscriptionMs(300_000));
    await source.assign(new Map([[SHARD, EARLIEST]]));
    const sequences: string[] = [];
    const got: Message<Bytes>[] = [];
    for (let batch = 0; batch < 5; batch++) {
      sequences.push(...(await putRecords(admin, stream, values(20, `b${batch}`))));
      got.push(...(await readUntil(source, 20)).got);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }

    expect(got.map((m) => m.position)).toEqual(sequences);
    const later = subscriptionsOf(stream).filter((s) => s.start.Type === 'AFTER_SEQUENCE_NUMBER');
    expect(later.length).toBeGreaterThanOrEqual(3);
    expect(later.every((s) => s.start.SequenceNumber !== undefined)).toBe(true);
  });

  it.each([
    ['the HTTP/2 stream is reset', { kind: 'reset', afterEvents: 1 } as const],
    [
      'an InternalFailureException message arrives',
      { kind: 'exception', error: 'InternalFailureException', afterEvents: 1 } as const,
    ],
  ])(
    'Given %s mid-stream, When reading, Then it resumes from the last continuation and loses or repeats nothing',
    async (_, fault) => {
      const stream = await kinesalite.createStream(1, 'efo');
      const admin = kinesalite.client();
      const source = await efoSource(stream);
      await source.assign(new Map([[SHARD, EARLIEST]]));
      const first = await putRecords(admin, stream, values(30, 'a'));
      const before = (await readUntil(source, 30)).got;
      efo.inject(SHARD, fault);
      // The fault hits the next subscription; end the current one so that it comes.
      efo.endSubscriptions();
      const second = await putRecords(admin, stream, values(30, 'b'));
      const during = (await readUntil(source, 30)).got;
      // The fault comes right after the event that carried the second batch: the third comes after it.
      const third = await putRecords(admin, stream, values(30, 'c'));
      const after = [...during, ...(await readUntil(source, 30)).got];

      expect([...before, ...after].map((m) => m.position)).toEqual([...first, ...second, ...third]);
      expect(subscriptionsOf(stream).length).toBeGreaterThanOrEqual(3);
    },
  );

  it('Given ResourceInUseException then LimitExceededException (the shard still held by a previous subscription), When subscribing, Then it backs off and reads once Kinesis lets it', async () => {
    const stream = await kinesalite.createStream(1, 'efo');
    await putRecords(kinesalite.client(), stream, values(10));
    const source = await efoSource(stream);
    efo.inject(SHARD, { kind: 'refuse', error: 'ResourceInUseException' });
    efo.inject(SHARD, { kind: 'refuse', error: 'LimitExceededException' });
    await source.assign(new Map([[SHARD, EARLIEST]]));

    const { got } = await readUntil(source, 10);

    expect(got.map(text)).toEqual(values(10).map((v) => v.data));
    expect(subscriptionsOf(stream).map((s) => s.refused)).toEqual([
      'ResourceInUseException',
      'LimitExceededException',
      undefined,
    ]);
  });

  it('Given a refusal once reading, When the stream ends and the next subscription is refused, Then the reader retries with backoff and shows it as throttled', async () => {
    const stream = await kinesalite.createStream(1, 'efo');
    const admin = kinesalite.client();
    const source = await efoSource(stream);
    await source.assign(new Map([[SHARD, EARLIEST]]));
    const first = await putRecords(admin, stream, values(5, 'a'));
    const before = (await readUntil(source, 5)).got;
    efo.inject(SHARD, { kind: 'refuse', error: 'ResourceInUseException' });
    efo.endSubscriptions();
    const second = await putRecords(admin, stream, values(5, 'b'));
    const after = (await readUntil(source, 5)).got;

    expect([...before, ...after].map((m) => m.position)).toEqual([...first, ...second]);
    expect(subscriptionsOf(stream).some((s) => s.refused === 'ResourceInUseException')).toBe(true);
    expect((await source.describe())[0]?.detail?.throttled).toBeGreaterThanOrEqual(1);
  });

  it('Given a shard split while subscribed, When the parent is read to its end, Then the end is handed over and the children are listed with their parent', async () => {
    const stream = await kinesalite.createStream(1, 'efo');
    const admin = kinesalite.client();
    const source = await efoSource(stream);
    await source.assign(new Map([[SHARD, EARLIEST]]));
    const before = await putRecords(admin, stream, values(10));
    await splitShard(admin, stream, SHARD);

    const { got, ended } = await readToEnd(source, SHARD);
    const parent = (await source.describe()).find((r) => r.partition === SHARD);

    expect(got.map((m) => m.position)).toEqual(before);
    expect(ended).toEqual([SHARD]);
    const children = (await listShards(admin, stream)).filter((s) => s.ParentShardId === SHARD);
    expect(children).toHaveLength(2);
    const listed = await source.partitions();
    for (const child of children)
      expect(listed.find((p) => p.id === child.ShardId)?.parents).toEqual([SHARD]);
    expect(parent?.state).toBe('ended');
    await source.commit(new Map([[SHARD, END_OF_PARTITION]]));
  });

  it('Given KPL aggregates, When starting after a user record inside one, Then the rest are de-aggregated as when polling (seq:sub positions)', async () => {
    const stream = await kinesalite.createStream(1, 'efo');
    const admin = kinesalite.client();
    const users = values(4, 'u');
    const agg = aggregate(users);
    const [sequence] = await putRecords(admin, stream, [{ key: agg.partitionKey, data: agg.data }]);
    const source = await efoSource(stream);
    await source.assign(new Map([[SHARD, { kind: 'after', position: `${sequence}:1` }]]));

    const { got } = await readUntil(source, 2);

    expect(got.map((m) => m.position)).toEqual([`${sequence}:2`, `${sequence}:3`]);
    expect(got.map(text)).toEqual(users.slice(2).map((u) => u.data));
  });

  it('Given the consumer is deregistered, When subscribing again, Then poll fails with what to check instead of retrying forever', async () => {
    const stream = await kinesalite.createStream(1, 'efo');
    const source = await efoSource(stream, 'doomed');
    await source.assign(new Map([[SHARD, EARLIEST]]));
    const { DeregisterStreamConsumerCommand } = await import('@aws-sdk/client-kinesis');
    const control = createKinesisClient({ endpoint: efo.endpoint, region: 'us-east-1' });
    onTestFinished(() => control.destroy());
    await control.send(new DeregisterStreamConsumerCommand({ ConsumerARN: source.consumer!.arn }));
    efo.endSubscriptions();

    let failure: unknown;
    const deadline = Date.now() + 10_000;
    while (failure === undefined && Date.now() < deadline) await source.poll(100).catch((e) => (failure = e));

    expect(isSourceUnavailableError(failure)).toBe(true);
    expect(String((failure as Error).message)).toMatch(/ResourceNotFoundException/);
  });
});
