import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { runIdOf } from '../../../src/core/model/run-id.js';
import {
  openPostgresStore,
  type PostgresStateStore,
} from '../../../src/core/store/postgres/postgres-state-store.js';
import { toLedgerData } from '../../../src/core/store/rows/ledger-codec.js';
import { LedgerRun } from '../../../src/core/store/rows/ledger-run.js';
import type { StateStore } from '../../../src/core/store/state-store.js';
import { pgStoreAtVersion } from '../../support/old-store.js';
import { dropSchemas, PG_URL, pgClient, postgresAvailable, serviceSuite } from '../../support/services.js';
import { flushLedger, ledgerRun } from './fixtures/child-jobs.js';
import { runTogether } from './fixtures/run-together.js';
import { seqScans } from './fixtures/seq-scans.js';

const CHILD = fileURLToPath(new URL('./fixtures/pg-store-child.ts', import.meta.url));
const available = await postgresAvailable();
const PREFIX = `agentctl_ledger_${randomBytes(4).toString('hex')}`;
const schemas: string[] = [];

function freshSchema(): string {
  const schema = `${PREFIX}_${schemas.length}`;
  schemas.push(schema);
  return schema;
}

async function open(schema: string, poolSize?: number): Promise<PostgresStateStore> {
  const store = await openPostgresStore({
    url: PG_URL,
    schema,
    ...(poolSize === undefined ? {} : { poolSize }),
  });
  onTestFinished(() => store.close());
  return store;
}

/** Ids and event ids of the ledger runs `from` … `to - 1` (see `ledgerRun`). */
function keys(from: number, to: number): { ids: string[]; eventIds: string[] } {
  const runs = Array.from({ length: to - from }, (_, i) => ledgerRun(from + i));
  return { ids: runs.map((r) => r.id), eventIds: runs.map((r) => r.eventId) };
}

async function succeeded(store: StateStore): Promise<number> {
  const counts = await store.runs.countByState('g');
  return counts.reduce((n, c) => n + (c.state === 'succeeded' ? c.count : 0), 0);
}

describe.skipIf(!available)(
  serviceSuite(
    'PostgreSQL run ledger (schema 9: one row per batch, keyed by event id, then run id)',
    available,
    'PostgreSQL',
    'PG_URL',
  ),
  () => {
    afterAll(() => dropSchemas(schemas));

    it('Given a schema-3 store with ledger runs, When opened, Then they move into batches (schema 9) found by id and by event id, and pruned by finish time', async () => {
      const schema = freshSchema();
      await pgStoreAtVersion(PG_URL, schema, 3);
      const db = await pgClient();
      const table = `"${schema}".run_ledger`;
      // Written in id order (schema 3's key order); finish times in another order.
      const runs = [ledgerRun(0, 5_000), ledgerRun(1, 3_000), ledgerRun(2, 4_000)];
      for (const run of [...runs].sort((a, b) => (a.id < b.id ? -1 : 1)))
        await db.query(
          `INSERT INTO ${table} (id, group_name, process, data, finished_at) VALUES ($1, $2, $3, $4, $5)`,
          [run.id, run.group, run.process, JSON.stringify(toLedgerData(run)), run.finishedAt],
        );

      const store = await open(schema);

      expect(
        (await db.query(`SELECT group_name, process, count, first_finished, last_finished FROM ${table}`))
          .rows,
      ).toEqual([{ group_name: 'g', process: 'p', count: 3, first_finished: '3000', last_finished: '5000' }]);
      expect(
        (await db.query(`SELECT event_id, id FROM "${schema}".run_ledger_events ORDER BY event_id`)).rows,
      ).toEqual(runs.map((r) => ({ event_id: r.eventId, id: r.id })));
      const indexes = await db.query(
        `SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = $1
         AND tablename LIKE 'run_ledger%' ORDER BY 1, 2`,
        [schema],
      );
      expect(
        indexes.rows.map((r) => [r.tablename, r.indexname, r.indexdef.replace(/.* USING /, '')]),
      ).toEqual([
        ['run_ledger', 'run_ledger_last_finished', 'btree (last_finished)'],
        ['run_ledger', 'run_ledger_pkey', 'btree (seq)'],
        ['run_ledger_events', 'run_ledger_events_pkey', 'btree (event_id, id)'],
      ]);
      expect((await db.query('SELECT to_regclass($1) AS t', [`"${schema}".run_ledger_v9`])).rows).toEqual([
        { t: null },
      ]);
      const ids = runs.map((r) => r.id);
      const all = new Map(ids.map((id) => [id, 'succeeded']));
      expect(
        await store.runs.lookup(
          ids,
          runs.map((r) => r.eventId),
        ),
      ).toEqual(all);
      expect(await store.runs.lookup(ids)).toEqual(all);
      expect(await store.runs.get(runs[1]!.id, runs[1]!.eventId)).toEqual(LedgerRun.of(runs[1]!).toJSON());
      expect(await store.runs.get(runs[0]!.id)).toMatchObject({ eventId: 'evt-0', finishedAt: 5_000 });
      expect((await store.runs.list({ eventId: 'evt-2' })).map((r) => r.id)).toEqual([runs[2]!.id]);
      expect((await store.runs.list({ limit: 2 })).map((r) => r.eventId)).toEqual(['evt-0', 'evt-2']);
      const order: string[] = [];
      for await (const run of store.runs.iterate('ledger', 1)) order.push(run.eventId);
      expect(order).toEqual(['evt-1', 'evt-2', 'evt-0']);
      // The same run flushed again (a redelivery after the restart) keeps its one record.
      await store.flush({ runs: [], ledger: [ledgerRun(0, 9_000)], efforts: [], parked: [] });
      expect(await succeeded(store)).toBe(3);
      expect(await store.runs.get(runs[0]!.id, runs[0]!.eventId)).toMatchObject({ finishedAt: 5_000 });
      expect(await store.runs.prune(4_500, true)).toBe(2);
      expect(await store.runs.prune(4_500)).toBe(2);
      expect(
        await store.runs.lookup(
          ids,
          runs.map((r) => r.eventId),
        ),
      ).toEqual(new Map([[ids[0]!, 'succeeded']]));
      expect((await db.query(`SELECT count, first_finished FROM ${table}`)).rows).toEqual([
        { count: 1, first_finished: '5000' },
      ]);
      expect((await db.query(`SELECT count(*)::int AS n FROM "${schema}".run_ledger_events`)).rows).toEqual([
        { n: 1 },
      ]);
    });

    it('Given a schema-4 ledger of 2,500 runs of one kind and 10 of another, When opened, Then they move into batches of at most 1,000 per kind, in finish order, and prune cuts inside a batch exactly', async () => {
      const schema = freshSchema();
      await pgStoreAtVersion(PG_URL, schema, 4);
      const db = await pgClient();
      const runs = Array.from({ length: 2_500 }, (_, i) => ledgerRun(i, 10_000 - i));
      const others = Array.from({ length: 10 }, (_, i) => ({ ...ledgerRun(5_000 + i), process: 'q' }));
      await db.query(
        `INSERT INTO "${schema}".run_ledger (event_id, id, group_name, process, data, finished_at)
         SELECT x->>0, x->>1, 'g', x->>2, x->3, (x->>4)::bigint FROM json_array_elements($1::json) x`,
        [
          JSON.stringify(
            [...runs, ...others].map((r) => [r.eventId, r.id, r.process, toLedgerData(r), r.finishedAt]),
          ),
        ],
      );

      const store = await open(schema);

      const batches = await db.query(
        `SELECT process, count, first_finished::int AS first, last_finished::int AS last
         FROM "${schema}".run_ledger ORDER BY seq`,
      );
      expect(batches.rows).toEqual([
        { process: 'q', count: 10, first: 6_000, last: 6_009 },
        { process: 'p', count: 1_000, first: 7_501, last: 8_500 },
        { process: 'p', count: 1_000, first: 8_501, last: 9_500 },
        { process: 'p', count: 500, first: 9_501, last: 10_000 },
      ]);
      expect(await store.runs.countByState('g')).toEqual([
        { process: 'p', state: 'succeeded', count: 2_500 },
        { process: 'q', state: 'succeeded', count: 10 },
      ]);
      const { ids, eventIds } = keys(0, 2_500);
      expect((await store.runs.lookup(ids, eventIds)).size).toBe(2_500);
      expect(await store.runs.get(runs[1_234]!.id, runs[1_234]!.eventId)).toEqual(
        LedgerRun.of(runs[1_234]!).toJSON(),
      );
      expect((await store.runs.list({ process: 'p', limit: 3 })).map((r) => r.finishedAt)).toEqual([
        10_000, 9_999, 9_998,
      ]);

      // 9,000 cuts the second batch of p: 499 of its runs and the whole first batch go, and q's.
      expect(await store.runs.prune(9_000, true)).toBe(1_000 + 499 + 10);
      expect(await store.runs.prune(9_000)).toBe(1_000 + 499 + 10);
      expect(await succeeded(store)).toBe(1_001);
      expect((await store.runs.lookup(ids, eventIds)).size).toBe(1_001);
      expect((await db.query(`SELECT count(*)::int AS n FROM "${schema}".run_ledger_events`)).rows[0].n).toBe(
        1_001,
      );
      let iterated = 0;
      for await (const run of store.runs.iterate('ledger', 300)) iterated += run.finishedAt! >= 9_000 ? 1 : 0;
      expect(iterated).toBe(1_001);
    });

    it('Given two processes flushing the same runs into one schema at once, Then each run is stored once and found', async () => {
      const schema = freshSchema();
      // Opened (and migrated) first, so the children race on the flushes, not on the schema.
      await (await openPostgresStore({ url: PG_URL, schema })).close();

      const results = await runTogether(CHILD, [
        ['ledger', PG_URL, schema, '0', '3000', '250'],
        ['ledger', PG_URL, schema, '1000', '4000', '100'],
      ]);

      expect(results).toEqual([{ flushed: 3_000 }, { flushed: 3_000 }]);
      const store = await open(schema);
      expect(await succeeded(store)).toBe(4_000);
      const { ids, eventIds } = keys(0, 4_000);
      const found = await store.runs.lookup(ids, eventIds);
      expect(found.size).toBe(4_000);
      expect([...found.values()].every((state) => state === 'succeeded')).toBe(true);
    });

    it('Given a run executed again on purpose, When flushed, Then its ledger record gives way to the new one', async () => {
      const store = await open(freshSchema());
      await flushLedger(store, ['0', '10', '10']);

      const again = ledgerRun(4, 7_000);
      await store.flush({ runs: [], ledger: [again], efforts: [], parked: [], replaced: [again.id] });

      expect(await succeeded(store)).toBe(10);
      expect(await store.runs.get(again.id, again.eventId)).toMatchObject({ finishedAt: 7_000 });
    });

    it('Given an event id shared by runs of other rules or sources, When looked up, Then each run id is told apart', async () => {
      const store = await open(freshSchema());
      const stored = ledgerRun(1);
      await store.flush({ runs: [], ledger: [stored], efforts: [], parked: [] });

      const other = { ...ledgerRun(1), id: runIdOf('g', { source: '/ledger', id: stored.eventId }, 'other') };

      expect(await store.runs.lookup([stored.id, other.id], [stored.eventId, other.eventId])).toEqual(
        new Map([[stored.id, 'succeeded']]),
      );
      expect(await store.runs.get(other.id, other.eventId)).toBeUndefined();
    });

    it('Given ledger runs whose event ids and strings hold NUL, quotes, backslashes, commas and braces, When flushed and looked up by event id, Then each is found (NUL stored as U+FFFD)', async () => {
      const store = await open(freshSchema());
      const odd = ['a\u0000b', 'q"u,o{t}e', 'back\\slash', 'NULL', ''];
      const runs = odd.map((eventId, i) => ({
        ...ledgerRun(i),
        eventId,
        id: runIdOf('g', { source: '/ledger', id: eventId }, 'r'),
        output: { note: `${eventId}\u0000` },
      }));

      await store.flush({ runs: [], ledger: runs, efforts: [], parked: [] });

      const found = await store.runs.lookup(
        runs.map((r) => r.id),
        runs.map((r) => r.eventId),
      );
      expect(found).toEqual(new Map(runs.map((r) => [r.id, 'succeeded'])));
      expect(await store.runs.get(runs[0]!.id, 'a\ufffdb')).toMatchObject({
        eventId: 'a\ufffdb',
        output: { note: 'a\ufffdb\ufffd' },
      });
    });

    it('Given ledger runs whose event ids hold every list separator (and one is empty), When flushed and looked up by event id, Then each is found under its own id', async () => {
      const store = await open(freshSchema());
      const odd = ['a\x1eb', '\x1f', 'c\x1dd\x1c', '\x1e0\x1e', '', 'plain'];
      const runs = odd.map((eventId, i) => ({
        ...ledgerRun(i),
        eventId,
        id: runIdOf('g', { source: '/ledger', id: eventId }, 'r'),
      }));

      await store.flush({ runs: [], ledger: runs, efforts: [], parked: [] });

      const found = await store.runs.lookup(
        runs.map((r) => r.id),
        runs.map((r) => r.eventId),
      );
      expect(found).toEqual(new Map(runs.map((r) => [r.id, 'succeeded'])));
      for (const run of runs)
        expect(await store.runs.get(run.id, run.eventId)).toMatchObject({ eventId: run.eventId });
    });

    it('Given lookups made while the ledger was small, When it has grown without new statistics, Then lookups by event id still go through its key, not a scan', async () => {
      const schema = freshSchema();
      // One connection: every lookup runs on the session whose plans an earlier lookup could have cached.
      const store = await open(schema, 1);
      await flushLedger(store, ['0', '10', '10']);
      const small = keys(0, 10);
      for (let i = 0; i < 8; i++) expect((await store.runs.lookup(small.ids, small.eventIds)).size).toBe(10);
      const db = await pgClient();
      await db.query(
        `INSERT INTO "${schema}".run_ledger_events (event_id, id, batch)
         SELECT 'bulk-' || lpad(g::text, 7, '0'), md5(g::text), 1 FROM generate_series(1, 100000) g`,
      );
      const scans = async () => {
        const [row] = (
          await db.query('SELECT seq_scan FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = $2', [
            schema,
            'run_ledger_events',
          ])
        ).rows;
        return Number(row.seq_scan);
      };
      const connection = (store as unknown as { connection: { query(sql: string): Promise<unknown> } })
        .connection;
      // Table statistics reach other sessions when a session flushes them: at most once a second unless forced.
      await connection.query('SELECT pg_stat_force_next_flush()');
      const scansBefore = await scans();

      const { ids, eventIds } = keys(0, 500);
      const found = await store.runs.lookup(ids, eventIds);
      await connection.query('SELECT pg_stat_force_next_flush()');
      await connection.query('SELECT 1');

      expect(found.size).toBe(10);
      expect(await scans()).toBe(scansBefore);
    });

    it('Given a ledger of 20,000 keys, When 500 runs are looked up by event id, Then each key is probed through the index, never read whole', async () => {
      const schema = freshSchema();
      const store = await open(schema, 1);
      await flushLedger(store, ['0', '10', '10']);
      const db = await pgClient();
      // A size at which a join of the wanted ids with the key was planned as a hash of the whole key.
      await db.query(
        `INSERT INTO "${schema}".run_ledger_events (event_id, id, batch)
         SELECT 'bulk-' || lpad(g::text, 7, '0'), md5(g::text), 1 FROM generate_series(1, 20000) g`,
      );
      const scans = () => seqScans(store, db, schema, 'run_ledger_events');
      const scansBefore = await scans();

      const { ids, eventIds } = keys(0, 500);
      const found = await store.runs.lookup(ids, eventIds);

      expect(found.size).toBe(10);
      expect(await scans()).toBe(scansBefore);
    });

    it('Given one flush of three kinds whose strings hold control characters, When read back, Then each run comes back whole, in a batch of its kind', async () => {
      const store = await open(freshSchema());
      const odd = '\x1e\x1f\n"\\';
      const runs = [
        ledgerRun(0),
        { ...ledgerRun(1), process: `q${odd}`, output: odd },
        { ...ledgerRun(2), group: 'h', eventType: `t${odd}` },
        ledgerRun(3),
      ];

      await store.flush({ runs: [], ledger: runs, efforts: [], parked: [] });

      for (const { id, group, process, eventId, eventType, output } of runs) {
        const fields = {
          id,
          group,
          process,
          eventId,
          eventType,
          ...(output === undefined ? {} : { output }),
        };
        expect(await store.runs.get(id, eventId)).toMatchObject(fields);
      }
      expect(await store.runs.countByState()).toEqual([
        { process: 'p', state: 'succeeded', count: 3 },
        { process: `q${odd}`, state: 'succeeded', count: 1 },
      ]);
    });
  },
);
