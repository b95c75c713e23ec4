import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KinesisSource } from '../../src/core/sources/kinesis/kinesis-source.js';
import { deaggregate, KPL_MAGIC } from '../../src/core/sources/kinesis/kpl.js';
import type { Bytes, Message } from '../../src/core/types.js';
import { tempDir } from '../support/temp.js';
import { type Kinesalite, putRecords, startKinesalite } from './support/kinesalite.js';
import { GROUP, keyedEvents, kinesisAgent, openStore, type Seen } from './support/kinesis-agent.js';
import { aggregate } from './support/kpl-aggregate.js';

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** Re-frames a protobuf body as an aggregate with a correct digest. */
function framed(body: Uint8Array): Uint8Array {
  const digest = createHash('md5').update(body).digest();
  return Buffer.concat([KPL_MAGIC, body, digest]);
}

describe('KPL de-aggregation', () => {
  it('Given an aggregate built by aws-kinesis-agg, When de-aggregated, Then every user record comes out in order with its keys', () => {
    const users = Array.from({ length: 40 }, (_, i) => ({
      key: `user-${i % 7}`,
      data: `{"i":${i}}`,
      ...(i % 5 === 0 ? { explicitHashKey: String(1000 + i) } : {}),
    }));

    const result = deaggregate(aggregate(users).data);

    expect(result.kind).toBe('aggregated');
    if (result.kind !== 'aggregated') return;
    expect(result.records.map((r) => text(r.data))).toEqual(users.map((u) => u.data));
    expect(result.records.map((r) => r.partitionKey)).toEqual(users.map((u) => u.key));
    expect(result.records[5]!.explicitHashKey).toBe('1005');
  });

  it('Given plain payloads (JSON, empty, too short to hold a digest), When examined, Then they are plain records', () => {
    expect(deaggregate(new TextEncoder().encode('{"a":1}')).kind).toBe('plain');
    expect(deaggregate(new Uint8Array(0)).kind).toBe('plain');
    expect(deaggregate(Uint8Array.of(0xf3, 0x89, 0x9a, 0xc2, 1, 2, 3)).kind).toBe('plain');
  });

  it('Given damaged aggregates, When de-aggregated, Then each is reported corrupt (to be delivered whole), never as records', () => {
    const good = aggregate([
      { key: 'a', data: 'one' },
      { key: 'b', data: 'two' },
    ]).data;
    const flipped = Buffer.from(good);
    flipped[10] = flipped[10]! ^ 0xff;
    const body = good.subarray(4, good.length - 16);

    expect(deaggregate(flipped)).toEqual({ kind: 'corrupt', reason: 'MD5 digest mismatch' });
    // A correct digest over bytes that are not an AggregatedRecord.
    expect(deaggregate(framed(Uint8Array.of(0x0a, 0x05, 0x61)))).toMatchObject({ kind: 'corrupt' });
    // A record whose partition key index points past the table (field 3 → Record{pk index 9, data "x"}).
    expect(
      deaggregate(framed(Uint8Array.of(0x0a, 0x01, 0x61, 0x1a, 0x05, 0x08, 0x09, 0x1a, 0x01, 0x78))),
    ).toMatchObject({
      kind: 'corrupt',
      reason: expect.stringContaining('out of range'),
    });
    // A record without its required data field.
    expect(deaggregate(framed(Uint8Array.of(0x0a, 0x01, 0x61, 0x1a, 0x02, 0x08, 0x00)))).toMatchObject({
      kind: 'corrupt',
    });
    // No records at all.
    expect(deaggregate(framed(Uint8Array.of(0x0a, 0x01, 0x61)))).toMatchObject({ kind: 'corrupt' });
    expect(deaggregate(framed(body)).kind).toBe('aggregated');
  });
});

describe('KinesisSource with KPL records (kinesalite)', () => {
  let server: Kinesalite;
  beforeAll(async () => {
    server = await startKinesalite();
  });
  afterAll(async () => {
    await server.close();
  });

  async function readAll(source: KinesisSource, count: number): Promise<Message<Bytes>[]> {
    const got: Message<Bytes>[] = [];
    const deadline = Date.now() + 10_000;
    while (got.length < count && Date.now() < deadline) got.push(...(await source.poll(1_000)).messages);
    const extra = await source.poll(1_000);
    got.push(...extra.messages);
    return got;
  }

  it('Given aggregated and plain records on a shard, When read, Then each user record is one message at seq:sub with its partition key, in order', async () => {
    const stream = await server.createStream(1, 'kpl');
    const admin = server.client();
    const first = Array.from({ length: 30 }, (_, i) => ({ key: `k${i % 3}`, data: `{"a":${i}}` }));
    const second = Array.from({ length: 5 }, (_, i) => ({ key: `z${i}`, data: `{"b":${i}}` }));
    const [seqA, seqPlain, seqB] = await putRecords(admin, stream, [
      { key: 'agg-1', data: aggregate(first).data },
      { key: 'plain', data: '{"plain":true}' },
      { key: 'agg-2', data: aggregate(second).data },
    ]);
    const source = new KinesisSource({ stream, client: server.client(), ownsClient: true });
    await source.connect();
    await source.assign(new Map([['shardId-000000000000', { kind: 'earliest' }]]));

    const got = await readAll(source, 36);

    expect(got.map((m) => m.position)).toEqual([
      ...first.map((_, i) => `${seqA}:${i}`),
      seqPlain,
      ...second.map((_, i) => `${seqB}:${i}`),
    ]);
    expect(got.map((m) => text(m.payload))).toEqual([
      ...first.map((u) => u.data),
      '{"plain":true}',
      ...second.map((u) => u.data),
    ]);
    expect(got.map((m) => m.attributes.partitionKey)).toEqual([
      ...first.map((u) => u.key),
      'plain',
      ...second.map((u) => u.key),
    ]);
    for (let i = 1; i < got.length; i++)
      expect(source.compare(got[i - 1]!.position, got[i]!.position)).toBeLessThan(0);

    // When restarted after a user record in the middle of the first aggregate, Then the rest follows.
    await source.revoke(['shardId-000000000000']);
    await source.assign(new Map([['shardId-000000000000', { kind: 'after', position: `${seqA}:11` }]]));
    const resumed = await readAll(source, 36 - 12);
    expect(resumed.map((m) => m.position)).toEqual(got.slice(12).map((m) => m.position));

    // ... and `at` a user record includes it.
    await source.revoke(['shardId-000000000000']);
    await source.assign(new Map([['shardId-000000000000', { kind: 'at', position: `${seqB}:3` }]]));
    const at = await readAll(source, 2);
    expect(at.map((m) => m.position)).toEqual([`${seqB}:3`, `${seqB}:4`]);
    await source.close();
    admin.destroy();
  });

  it('Given a corrupt aggregate between good records, When an agent consumes the stream, Then it is parked whole with reason decode and everything else is processed', async () => {
    const stream = await server.createStream(1, 'kpl-agent');
    const admin = server.client();
    const events = keyedEvents(20, 4);
    const corrupt = Buffer.from(
      aggregate(events.slice(10, 15).map((e) => ({ key: e.key, data: e.data }))).data,
    );
    corrupt[corrupt.length - 1] = corrupt[corrupt.length - 1]! ^ 0x01;
    const sequences = await putRecords(admin, stream, [
      { key: 'agg', data: aggregate(events.slice(0, 10).map((e) => ({ key: e.key, data: e.data }))).data },
      { key: 'bad', data: corrupt },
      ...events.slice(15).map((e) => ({ key: e.key, data: e.data })),
    ]);
    const store = await openStore(tempDir());
    const seen: Seen = { events: [] };

    const summary = await kinesisAgent(server, stream, store, seen).agent.run();

    expect(summary).toMatchObject({ read: 16, processed: 15, parked: 1, stoppedBy: 'empty' });
    expect(seen.events.map((e) => e.id).sort()).toEqual(
      [...events.slice(0, 10), ...events.slice(15)].map((e) => e.event.id).sort(),
    );
    const parked = await store.failed.list({ group: GROUP });
    expect(parked).toHaveLength(1);
    expect(parked[0]).toMatchObject({
      reason: 'decode',
      partition: 'shardId-000000000000',
      position: sequences[1],
    });
    expect(Buffer.from(parked[0]!.raw)).toEqual(corrupt);
    const checkpoints = await store.checkpoints.get(GROUP, `kinesis://${stream}`);
    expect(checkpoints.get('shardId-000000000000')?.position).toBe(sequences.at(-1));
    await store.close();
    admin.destroy();
  });
});
