import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AgentConfig } from '../../../src/core/config/agent-config.js';
import { configPeeker, type PartitionPeek } from '../../../src/core/console/partition-peek.js';
import { openSqliteStore, type SqliteStateStore } from '../../../src/core/store/sqlite/sqlite-state-store.js';
import { type Kinesalite, placeRecords, startKinesalite } from '../../kinesis/support/kinesalite.js';
import { tempDir } from '../../support/temp.js';

const encoder = new TextEncoder();
let stores: SqliteStateStore[] = [];

afterEach(async () => {
  await Promise.all(stores.map((s) => s.close()));
  stores = [];
});

const config = (source?: string): AgentConfig => ({
  name: 'orders',
  ...(source === undefined ? {} : { source }),
  publisher: { sink: 'none' },
  rules: [],
  processes: [],
});

const event = (n: number) =>
  JSON.stringify({ specversion: '1.0', id: `evt-${n}`, source: '/shop', type: 'order.created', data: { n } });

/** A store with a local topic `events` of 2 partitions holding 10 events each (offsets 0–9). */
async function givenALog(): Promise<SqliteStateStore> {
  const store = await openSqliteStore({ path: join(tempDir('partition-peek-'), 'agent.db') });
  stores.push(store);
  await store.log.ensureTopic('events', 2);
  for (const partition of [0, 1]) {
    await store.log.append(
      'events',
      Array.from({ length: 10 }, (_, n) => ({ value: encoder.encode(event(n)), partition })),
    );
  }
  return store;
}

const marks = (peeked: PartitionPeek) =>
  peeked.records.map((r) => `${r.next ? '▶' : r.done ? '✓' : ' '}${r.position}`);

describe('configPeeker (the console’s p)', () => {
  it('reads the records around a local partition’s checkpoint, marks them, and moves nothing', async () => {
    const store = await givenALog();
    await store.checkpoints.set([{ group: 'orders', source: 'local:events', partition: '1', position: '4' }]);
    const before = await store.checkpoints.list();
    const ref = { group: 'orders', sourceId: 'local:events', partition: '1' };
    const peeked = await configPeeker(store, config()).around(ref);
    expect(peeked).toMatchObject({ ref, source: 'local:events', checkpoint: '4' });
    expect(marks(peeked)).toEqual(['✓2', '✓3', '✓4', '▶5', ' 6', ' 7', ' 8', ' 9']);
    expect(peeked.records.every((r) => r.partition === '1')).toBe(true);
    expect(peeked.records[3]?.event).toMatchObject({ id: 'evt-5', type: 'order.created' });
    expect(await store.checkpoints.list()).toEqual(before);
    expect(await store.leases.list(undefined, 'local:events')).toEqual([]);
  });

  it('reads from the earliest record where the group has no checkpoint (the first one is next)', async () => {
    const store = await givenALog();
    const peeked = await configPeeker(store, config('local:events'), { before: 2, after: 3 }).around({
      group: 'orders',
      sourceId: 'local:events',
      partition: '0',
    });
    expect(peeked.checkpoint).toBeUndefined();
    expect(marks(peeked)).toEqual(['▶0', ' 1', ' 2']);
    expect(await store.checkpoints.list()).toEqual([]);
  });

  it('refuses a classic or quorum queue with why (it cannot be read without taking messages)', async () => {
    const store = await givenALog();
    const quorum = config('amqp://guest:secret@127.0.0.1:5672/?queue=orders&type=quorum');
    const refused = configPeeker(store, quorum).around({
      group: 'orders',
      sourceId: 'amqp:orders',
      partition: 'orders',
    });
    await expect(refused).rejects.toThrow(
      'amqp:orders is a quorum queue: it cannot be read without taking its messages, and the console never takes them',
    );
    await expect(refused).rejects.not.toThrow('secret');
  });

  it('says when it cannot open the partition’s source', async () => {
    const store = await givenALog();
    await expect(
      configPeeker(store, config()).around({ group: 'orders', sourceId: 'memory:gone', partition: '0' }),
    ).rejects.toThrow('the console cannot open source memory:gone of group orders to peek');
  });
});

describe('configPeeker on Kinesis (kinesalite)', () => {
  let server: Kinesalite;
  beforeAll(async () => {
    server = await startKinesalite();
  });
  afterAll(async () => {
    await server.close();
  });

  it('finds the shard’s checkpoint under the source id the consumer writes, and reads after it', async () => {
    const store = await givenALog();
    const client = server.client();
    const stream = await server.createStream(1, 'console-peek');
    const placed = await placeRecords(
      client,
      stream,
      Array.from({ length: 8 }, (_, n) => ({ key: `k${n}`, data: event(n) })),
    );
    const shard = placed[0]!.shard;
    await store.checkpoints.set([
      { group: 'orders', source: `kinesis://${stream}`, partition: shard, position: placed[2]!.sequence },
    ]);
    const peeked = await configPeeker(store, config(server.uri(stream))).around({
      group: 'orders',
      sourceId: `kinesis://${stream}`,
      partition: shard,
    });
    expect(peeked.checkpoint).toBe(placed[2]!.sequence);
    // Kinesis positions cannot be counted back: the records after the checkpoint, the first marked.
    expect(peeked.records.map((r) => (r.event as { id: string }).id)).toEqual([
      'evt-3',
      'evt-4',
      'evt-5',
      'evt-6',
      'evt-7',
    ]);
    expect(peeked.records[0]?.next).toBe(true);
  });
});
