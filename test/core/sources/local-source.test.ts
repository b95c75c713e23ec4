import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { LocalSource } from '../../../src/core/sources/local-source.js';
import { openSqliteStore, type SqliteStateStore } from '../../../src/core/store/sqlite/sqlite-state-store.js';
import type { Bytes, Message } from '../../../src/core/types.js';
import { tempDir } from '../../support/temp.js';
import { localLogFixture, sourceContract } from './source-contract.js';

const encoder = new TextEncoder();
const text = (m: Message<Bytes>) => new TextDecoder().decode(m.payload);

/** A store on a fresh SQLite file, closed when the test ends. */
async function freshStore(): Promise<SqliteStateStore> {
  const store = await openSqliteStore({ path: join(tempDir('local-source-'), 'agent.db') });
  onTestFinished(() => store.close());
  return store;
}

async function pollAll(source: LocalSource, count: number): Promise<Message<Bytes>[]> {
  const got: Message<Bytes>[] = [];
  const deadline = Date.now() + 5_000;
  while (got.length < count && Date.now() < deadline) got.push(...(await source.poll(100)).messages);
  return got;
}

sourceContract(
  'LocalSource over a SQLite file',
  async () => localLogFixture(await openSqliteStore({ path: join(tempDir('local-source-'), 'agent.db') })),
  { replayable: true },
);

describe('LocalSource', () => {
  it('Given more partitions than a poll may take, When only the last one has records, Then the poll delivers them (it is not caught up)', async () => {
    const store = await freshStore();
    const source = new LocalSource({ store, partitions: 3, idleMs: 10 });
    await source.connect();
    await store.log.append('events', [{ value: encoder.encode('late'), partition: 2 }]);
    await source.assign(
      new Map([
        ['0', { kind: 'earliest' }],
        ['1', { kind: 'earliest' }],
        ['2', { kind: 'earliest' }],
      ]),
    );

    const fetched = await source.poll(2);
    expect(fetched.messages.map(text)).toEqual(['late']);
    expect(fetched.caughtUp).toBe(false);
  });

  it('Given records stamped at different times, When a partition starts at a timestamp, Then it delivers from the first record at or after it', async () => {
    const store = await freshStore();
    const source = new LocalSource({ store, partitions: 1, idleMs: 10 });
    await source.connect();
    await store.log.append(
      'events',
      [100, 200, 300, 400].map((timestamp) => ({
        value: encoder.encode(`t${timestamp}`),
        partition: 0,
        timestamp,
      })),
    );

    await source.assign(new Map([['0', { kind: 'timestamp', ms: 250 }]]));

    const got = await pollAll(source, 2);
    expect(got.map(text)).toEqual(['t300', 't400']);
    expect(got.map((m) => m.position)).toEqual(['2', '3']);
    expect(got.map((m) => m.timestamp)).toEqual([300, 400]);
  });

  it('Given a timestamp after every record, When a partition starts there, Then only records appended later arrive', async () => {
    const store = await freshStore();
    const source = new LocalSource({ store, partitions: 1, idleMs: 10 });
    await source.connect();
    await store.log.append('events', [{ value: encoder.encode('old'), partition: 0, timestamp: 100 }]);

    await source.assign(new Map([['0', { kind: 'timestamp', ms: 1_000 }]]));
    expect((await source.poll(10)).messages).toEqual([]);
    await store.log.append('events', [{ value: encoder.encode('new'), partition: 0, timestamp: 2_000 }]);

    expect((await pollAll(source, 1)).map(text)).toEqual(['new']);
  });

  it('Given a group checkpoint, When described, Then each partition reports committed, latest and the records in between', async () => {
    const store = await freshStore();
    const source = new LocalSource({ store, partitions: 2, group: 'billing', idleMs: 10 });
    await source.connect();
    await store.log.append(
      'events',
      Array.from({ length: 10 }, (_, i) => ({ value: encoder.encode(`p0-${i}`), partition: 0 })),
    );
    await store.log.append(
      'events',
      Array.from({ length: 3 }, (_, i) => ({ value: encoder.encode(`p1-${i}`), partition: 1 })),
    );
    await store.checkpoints.set([{ group: 'billing', source: source.id, partition: '0', position: '6' }]);
    await source.assign(new Map([['0', { kind: 'after', position: '6' }]]));

    const statuses = await source.describe();

    expect(statuses).toEqual([
      { partition: '0', state: 'reading', committed: '6', latest: '9', lagRecords: 3 },
      { partition: '1', state: 'unassigned', latest: '2', lagRecords: 3 },
    ]);
  });

  it('Given another group checkpointed the same topic, When described, Then only its own group counts', async () => {
    const store = await freshStore();
    const source = new LocalSource({ store, partitions: 1, group: 'mine', idleMs: 10 });
    await source.connect();
    await store.log.append('events', [{ value: encoder.encode('a'), partition: 0 }]);
    await store.checkpoints.set([{ group: 'theirs', source: source.id, partition: '0', position: '0' }]);

    const [status] = await source.describe();

    expect(status).toEqual({ partition: '0', state: 'unassigned', latest: '0', lagRecords: 1 });
  });

  it('Given an empty topic, When described, Then there is no latest position and no lag', async () => {
    const store = await freshStore();
    const source = new LocalSource({ store, topic: 'quiet', partitions: 1, group: 'g' });
    await source.connect();

    expect(await source.describe()).toEqual([{ partition: '0', state: 'unassigned', lagRecords: 0 }]);
  });

  it('Given a key, When records are read, Then the key is an attribute and the position is the offset', async () => {
    const store = await freshStore();
    const source = new LocalSource({ store, partitions: 1, idleMs: 10 });
    await source.connect();
    await store.log.append('events', [{ value: encoder.encode('k'), key: 'order-1' }]);
    await source.assign(new Map([['0', { kind: 'earliest' }]]));

    const [message] = await pollAll(source, 1);

    expect(message?.attributes).toEqual({ key: 'order-1' });
    expect(message?.position).toBe('0');
  });
});
