import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { LocalSource } from '../../../src/core/sources/local-source.js';
import {
  openPostgresStore,
  type PostgresStateStore,
} from '../../../src/core/store/postgres/postgres-state-store.js';
import type { Bytes, Message } from '../../../src/core/types.js';
import { dropSchemas, PG_URL, postgresAvailable, serviceSuite } from '../../support/services.js';
import { localLogFixture, sourceContract } from './source-contract.js';

// The local log over PostgreSQL: the source reads the next batch ahead while one is processed (SQLite
// reads in-process, so it does not), and that read must never deliver what the next poll should not.

const encoder = new TextEncoder();
const text = (m: Message<Bytes>) => new TextDecoder().decode(m.payload);
const available = await postgresAvailable();
const PREFIX = `agentctl_test_ls_${randomBytes(4).toString('hex')}`;
const schemas: string[] = [];

async function freshStore(): Promise<PostgresStateStore> {
  const schema = `${PREFIX}_${schemas.length}`;
  schemas.push(schema);
  return openPostgresStore({ url: PG_URL, schema });
}

async function appendTo(store: PostgresStateStore, partition: number, values: readonly string[]) {
  await store.log.append(
    'events',
    values.map((v) => ({ value: encoder.encode(v), partition })),
  );
}

describe.skipIf(!available)(
  serviceSuite('LocalSource over PostgreSQL', available, 'PostgreSQL', 'PG_URL'),
  () => {
    afterAll(() => dropSchemas(schemas));

    sourceContract('LocalSource over PostgreSQL', async () => localLogFixture(await freshStore()), {
      replayable: true,
    });

    async function twoPartitions() {
      const store = await freshStore();
      onTestFinished(() => store.close());
      const source = new LocalSource({ store, partitions: 2, idleMs: 10 });
      await source.connect();
      await appendTo(store, 0, ['a0', 'a1', 'a2', 'a3']);
      await appendTo(store, 1, ['b0', 'b1', 'b2', 'b3']);
      await source.assign(
        new Map([
          ['0', { kind: 'earliest' }],
          ['1', { kind: 'earliest' }],
        ]),
      );
      return { store, source };
    }

    it('Given a batch handed out, When the next polls come, Then they go on where it ended, in order, and say caught up at the end', async () => {
      const { source } = await twoPartitions();
      const first = await source.poll(4);
      const second = await source.poll(4);
      expect([...first.messages, ...second.messages].map(text).sort()).toEqual([
        'a0',
        'a1',
        'a2',
        'a3',
        'b0',
        'b1',
        'b2',
        'b3',
      ]);
      const last = await source.poll(4);
      expect(last.messages).toEqual([]);
      expect(last.caughtUp).toBe(true);
    });

    it('Given a read started ahead, When the partition is paused, Then the next poll delivers nothing of it until it is resumed', async () => {
      const { source } = await twoPartitions();
      expect((await source.poll(2)).messages.map(text)).toEqual(['a0', 'b0']);
      source.pause(['0']);
      const whilePaused = await source.poll(2);
      expect(whilePaused.messages.map(text)).toEqual(['b1', 'b2']);
      source.resume(['0']);
      const rest = [...(await source.poll(2)).messages, ...(await source.poll(2)).messages];
      expect(rest.filter((m) => m.partition === '0').map(text)).toEqual(['a1', 'a2']);
    });

    it('Given a read started ahead, When the partition is revoked, Then nothing of it is delivered, and assigned again from an earlier position, it is read from there', async () => {
      const { source } = await twoPartitions();
      await source.poll(4);
      await source.revoke(['0']);
      expect((await source.poll(4)).messages.map(text)).toEqual(['b2', 'b3']);
      await source.assign(new Map([['0', { kind: 'after', position: '0' }]]));
      const got: Message<Bytes>[] = [];
      for (let i = 0; i < 3; i++) got.push(...(await source.poll(4)).messages);
      expect(got.filter((m) => m.partition === '0').map(text)).toEqual(['a1', 'a2', 'a3']);
    });

    it('Given four partitions, When polled, Then the log is asked once for all of them (one round trip)', async () => {
      const store = await freshStore();
      onTestFinished(() => store.close());
      const source = new LocalSource({ store, partitions: 4, idleMs: 10 });
      await source.connect();
      for (const p of [0, 1, 2, 3]) await appendTo(store, p, [`p${p}`]);
      await source.assign(new Map(['0', '1', '2', '3'].map((p) => [p, { kind: 'earliest' } as const])));
      const asked: string[] = [];
      const { read, readMany } = store.log;
      store.log.read = (...args) => {
        asked.push('read');
        return read.apply(store.log, args);
      };
      store.log.readMany = (...args) => {
        asked.push('readMany');
        return readMany.apply(store.log, args);
      };
      expect((await source.poll(8)).messages.map(text).sort()).toEqual(['p0', 'p1', 'p2', 'p3']);
      expect(asked[0]).toBe('readMany');
      expect(asked.filter((a) => a === 'read')).toEqual([]);
    });

    it('Given a read ahead that found nothing, When records were appended since, Then the next poll delivers them', async () => {
      const { store, source } = await twoPartitions();
      expect((await source.poll(8)).messages).toHaveLength(8);
      await new Promise((resolve) => setTimeout(resolve, 100)); // the read ahead comes back empty
      await appendTo(store, 1, ['b4']);
      expect((await source.poll(8)).messages.map(text)).toEqual(['b4']);
    });
  },
);
