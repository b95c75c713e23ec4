import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import type { RunRecord } from '../../../src/core/model/run-record.js';
import type { PgConnection } from '../../../src/core/store/postgres/pg-connection.js';
import {
  openPostgresStore,
  type PostgresStateStore,
} from '../../../src/core/store/postgres/postgres-state-store.js';
import { toLedgerEntry } from '../../../src/core/store/rows/ledger-codec.js';
import { pgStoreAtVersion } from '../../support/old-store.js';
import { dropSchemas, PG_URL, pgClient, postgresAvailable, serviceSuite } from '../../support/services.js';
import { flushLedger, ledgerRun } from './fixtures/child-jobs.js';

const available = await postgresAvailable();
const PREFIX = `agentctl_ledger_flush_${randomBytes(4).toString('hex')}`;
const schemas: string[] = [];

function freshSchema(): string {
  const schema = `${PREFIX}_${schemas.length}`;
  schemas.push(schema);
  return schema;
}

/** One connection, so that the statements it prepared can be looked at (`prepared`). */
async function open(schema: string): Promise<PostgresStateStore> {
  const store = await openPostgresStore({ url: PG_URL, schema, poolSize: 1 });
  onTestFinished(() => store.close());
  return store;
}

/** The statements the store's one connection prepared, by name. */
async function prepared(store: PostgresStateStore): Promise<Map<string, string>> {
  const { connection } = store as unknown as { connection: PgConnection };
  const rows = await connection.query<{ name: string; statement: string }>(
    'SELECT name, statement FROM pg_prepared_statements',
  );
  return new Map(rows.map((r) => [r.name, r.statement]));
}

/** Whether the server can compress with LZ4 (built with it, version 14 or later). */
async function hasLz4(db: pg.Client): Promise<boolean> {
  try {
    await db.query('BEGIN');
    await db.query('CREATE TEMP TABLE agentctl_lz4_probe (a text COMPRESSION lz4)');
    return true;
  } catch {
    return false;
  } finally {
    await db.query('ROLLBACK');
  }
}

function ledgerRuns(from: number, to: number, finishedAt?: (i: number) => number): RunRecord[] {
  return Array.from({ length: to - from }, (_, k) => ledgerRun(from + k, finishedAt?.(from + k)));
}

describe.skipIf(!available)(
  serviceSuite(
    'PostgreSQL ledger flushes (plain key inserts, LZ4 batches)',
    available,
    'PostgreSQL',
    'PG_URL',
  ),
  () => {
    afterAll(() => dropSchemas(schemas));

    it('Given new runs only, When flushed, Then their keys go in without conflict handling; Given runs stored already among new ones, Then the flush is made again skipping them', async () => {
      const store = await open(freshSchema());
      await flushLedger(store, ['0', '10', '10']);

      const plain = await prepared(store);
      expect(plain.get('agentctl_flush')).not.toMatch(/ON CONFLICT \(event_id, id\)/);
      // Every key went in: batches are written from the parameters, the keys not read back.
      expect(plain.get('agentctl_flush')).not.toMatch(/RETURNING/);
      expect(plain.has('agentctl_flush_skipping_stored')).toBe(false);

      // Runs 5…9 are stored (finished at 1,005…1,009); 10…14 are new, finished later.
      const again = ledgerRuns(5, 15, (i) => 5_000 + i);
      await store.flush({ runs: [], ledger: again, efforts: [], parked: [] });

      expect((await prepared(store)).get('agentctl_flush_skipping_stored')).toMatch(
        /ON CONFLICT \(event_id, id\) DO NOTHING/,
      );
      const counts = await store.runs.countByState('g');
      expect(counts).toEqual([{ process: 'p', state: 'succeeded', count: 15 }]);
      expect(await store.runs.get(again[0]!.id, again[0]!.eventId)).toMatchObject({ finishedAt: 1_005 });
      expect(await store.runs.get(again[9]!.id, again[9]!.eventId)).toMatchObject({ finishedAt: 5_014 });
      const db = await pgClient();
      const { rows } = await db.query(
        `SELECT count, first_finished::int AS first, last_finished::int AS last
         FROM "${schemas.at(-1)}".run_ledger ORDER BY seq DESC LIMIT 1`,
      );
      expect(rows).toEqual([{ count: 5, first: 5_010, last: 5_014 }]);
    });

    it('Given one plain flush of two kinds and one of a single kind, When stored, Then each batch holds its own runs with their count and bounds', async () => {
      const schema = freshSchema();
      const store = await open(schema);
      const other = (i: number) => ({ ...ledgerRun(i, 2_000 + i), process: 'q' });
      await store.flush({
        runs: [],
        ledger: [ledgerRun(0), other(1), ledgerRun(2), other(3), other(4)],
        efforts: [],
        parked: [],
      });
      await store.flush({ runs: [], ledger: ledgerRuns(5, 8), efforts: [], parked: [] });

      const db = await pgClient();
      const { rows } = await db.query(
        `SELECT process, count, first_finished::int AS first, last_finished::int AS last,
           (SELECT json_agg(r->>1) FROM json_array_elements(runs) r) AS events
         FROM "${schema}".run_ledger ORDER BY seq`,
      );
      expect(rows).toEqual([
        { process: 'p', count: 2, first: 1_000, last: 1_002, events: ['evt-0', 'evt-2'] },
        { process: 'q', count: 3, first: 2_001, last: 2_004, events: ['evt-1', 'evt-3', 'evt-4'] },
        { process: 'p', count: 3, first: 1_005, last: 1_007, events: ['evt-5', 'evt-6', 'evt-7'] },
      ]);
      expect(await store.runs.get(other(3).id, 'evt-3')).toMatchObject({ process: 'q', finishedAt: 2_003 });
    });

    it('Given a flush that also replaces a run and meets a run stored already, When flushed, Then the whole transaction is made again: the replaced run is new, the stored one kept', async () => {
      const store = await open(freshSchema());
      await flushLedger(store, ['0', '4', '4']);

      const replaced = ledgerRun(1, 7_000);
      const stored = ledgerRun(2, 8_000);
      const fresh = ledgerRun(4, 9_000);
      await store.flush({
        runs: [],
        ledger: [replaced, stored, fresh],
        efforts: [],
        parked: [],
        replaced: [replaced.id],
      });

      expect(await store.runs.countByState('g')).toEqual([{ process: 'p', state: 'succeeded', count: 5 }]);
      expect(await store.runs.get(replaced.id, replaced.eventId)).toMatchObject({ finishedAt: 7_000 });
      expect(await store.runs.get(stored.id, stored.eventId)).toMatchObject({ finishedAt: 1_002 });
      expect(await store.runs.get(fresh.id, fresh.eventId)).toMatchObject({ finishedAt: 9_000 });
    });

    it('Given a schema-9 store holding a ledger batch, When opened, Then new batches are stored compressed with LZ4 (where the server has it) and the old batch still reads back', async () => {
      const schema = freshSchema();
      await pgStoreAtVersion(PG_URL, schema, 9);
      const db = await pgClient();
      const old = ledgerRun(0, 2_000);
      await db.query(
        `INSERT INTO "${schema}".run_ledger (group_name, process, count, first_finished, last_finished, runs)
         VALUES ('g', 'p', 1, 2000, 2000, $1)`,
        [JSON.stringify([toLedgerEntry(old)])],
      );
      await db.query(`INSERT INTO "${schema}".run_ledger_events VALUES ($1, $2, 1)`, [old.eventId, old.id]);
      const lz4 = await hasLz4(db);

      const store = await open(schema);
      await store.flush({ runs: [], ledger: ledgerRuns(1, 1_001), efforts: [], parked: [] });

      const { rows: column } = await db.query(
        `SELECT a.attstorage, a.attcompression FROM pg_attribute a
         WHERE a.attrelid = $1::regclass AND a.attname = 'runs'`,
        [`"${schema}".run_ledger`],
      );
      expect(column).toEqual([
        lz4 ? { attstorage: 'x', attcompression: 'l' } : { attstorage: 'e', attcompression: '' },
      ]);
      const { rows: batches } = await db.query(
        `SELECT count, pg_column_compression(runs) AS compression FROM "${schema}".run_ledger ORDER BY seq`,
      );
      expect(batches).toEqual([
        { count: 1, compression: null },
        { count: 1_000, compression: lz4 ? 'lz4' : null },
      ]);
      expect(await store.runs.get(old.id, old.eventId)).toMatchObject({
        eventId: 'evt-0',
        finishedAt: 2_000,
      });
      const found = await store.runs.lookup([ledgerRun(500).id], [ledgerRun(500).eventId]);
      expect(found).toEqual(new Map([[ledgerRun(500).id, 'succeeded']]));
    });
  },
);
