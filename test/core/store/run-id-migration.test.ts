import { hash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { runIdOf } from '../../../src/core/model/run-id.js';
import { PG_MIGRATIONS } from '../../../src/core/store/postgres/pg-migrations.js';
import { openPostgresStore } from '../../../src/core/store/postgres/postgres-state-store.js';
import { MIGRATIONS } from '../../../src/core/store/sqlite/migrations.js';
import { openSqliteStore } from '../../../src/core/store/sqlite/sqlite-state-store.js';
import type { StateStore } from '../../../src/core/store/state-store.js';
import { dropSchemas, PG_URL, postgresAvailable, serviceSuite } from '../../support/services.js';
import { tempDir } from '../../support/temp.js';

/** How agentctl 0.1 (store schema 1) named a run: the event time in base36, then a digest without the group. */
function schema1RunId(time: number, source: string, id: string, rule: string): string {
  return `${time.toString(36).padStart(9, '0')}${hash('sha1', `${source}\n${id}\n${rule}`, 'base64url')}`;
}

const T = 1_790_000_000_000;
const EVENT = { source: '/orders', id: 'order-7' };
const OLD_FULL = schema1RunId(T, EVENT.source, EVENT.id, 'bill');
const OLD_LEDGER = schema1RunId(T, EVENT.source, EVENT.id, 'audit');
const LEDGER_DATA = JSON.stringify([
  EVENT.id,
  'order.paid',
  'audit',
  T,
  T,
  T + 5,
  'inline',
  null,
  null,
  null,
  null,
  null,
]);

/** Rows of a schema-1 store: a failed run in full, a plain success in the ledger, its effort and parkings. */
const SEED = [
  `INSERT INTO runs (id, group_name, event_id, event_type, rule, process, state, attempts, steps, created_at,
     runner, updated_at) VALUES ('${OLD_FULL}', 'billing', '${EVENT.id}', 'order.paid', 'bill', 'charge',
     'failed', 1, '[]', ${T}, 'pool', ${T + 9})`,
  `INSERT INTO run_ledger (id, group_name, process, data) VALUES ('${OLD_LEDGER}', 'billing', 'auditing', '${LEDGER_DATA}')`,
  `INSERT INTO efforts (id, sink, record_id, run_id, created_at, attempts, retries, history, culmination,
     updated_at) VALUES ('e1', 'ndjson', '${OLD_LEDGER}', '${OLD_LEDGER}', ${T}, 1, 0, '[]', 'delivered', ${T})`,
  `INSERT INTO failed_messages (key, group_name, source, partition, position, reason, kind, error, run_id,
     sink, attempts, raw, timestamp, status, first_failed_at, last_failed_at, history)
   VALUES ('publish/ndjson/${OLD_LEDGER}', 'billing', 'local:', '0', '3', 'publish', 'record', 'down',
     '${OLD_LEDGER}', 'ndjson', 3, X'7B7D', ${T}, 'pending', ${T}, ${T}, '[]'),
          ('billing|local:|event:/orders/order-7', 'billing', 'local:', '0', '3', 'process', 'event', 'boom',
     '${OLD_FULL}', NULL, 1, X'7B7D', ${T}, 'pending', ${T}, ${T}, '[]')`,
];

async function expectMigrated(store: StateStore): Promise<void> {
  const full = runIdOf('billing', EVENT, 'bill');
  const ledger = runIdOf('billing', EVENT, 'audit');
  expect(await store.runs.lookup([full, ledger, OLD_FULL, OLD_LEDGER])).toEqual(
    new Map([
      [full, 'failed'],
      [ledger, 'succeeded'],
    ]),
  );
  expect((await store.runs.get(ledger))?.finishedAt).toBe(T + 5);
  const [effort] = await store.efforts.list({ runId: ledger });
  expect(effort).toMatchObject({ id: 'e1', runId: ledger, recordId: ledger });
  const parked = (await store.failed.list({})).map((f) => ({ key: f.key, runId: f.runId }));
  expect(parked).toEqual(
    expect.arrayContaining([
      { key: `publish/ndjson/${ledger}`, runId: ledger },
      { key: 'billing|local:|event:/orders/order-7', runId: full },
    ]),
  );
  // The ledger ages by finish time now.
  expect(await store.runs.prune(T + 6, true)).toBe(1);
  expect(await store.runs.prune(T + 10, true)).toBe(2);
}

describe('store migration 2: run ids per consumer group (SQLite)', () => {
  it('Given a schema-1 file with runs, efforts and parkings, When opened, Then every id and reference moves to the new identity', async () => {
    const path = join(tempDir(), 'agent.db');
    const db = new Database(path);
    db.exec(MIGRATIONS[0]!.sql);
    db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
    db.exec('INSERT INTO schema_migrations VALUES (1, 1)');
    for (const statement of SEED) db.exec(statement);
    db.close();

    const store = await openSqliteStore({ path });
    onTestFinished(() => store.close());
    await expectMigrated(store);
  });
});

const available = await postgresAvailable();
const PREFIX = `agentctl_mig_${randomBytes(4).toString('hex')}`;
const schemas: string[] = [];

describe.skipIf(!available)(
  serviceSuite(
    'store migration 2: run ids per consumer group (PostgreSQL)',
    available,
    'PostgreSQL',
    'PG_URL',
  ),
  () => {
    afterAll(() => dropSchemas(schemas));

    it('Given a schema-1 schema with runs, efforts and parkings, When opened, Then every id and reference moves to the new identity', async () => {
      const schema = `${PREFIX}_0`;
      schemas.push(schema);
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      onTestFinished(() => client.end());
      const t = (name: string) => `"${schema}".${name}`;
      await client.query(`CREATE SCHEMA "${schema}"`);
      await client.query(PG_MIGRATIONS[0]!.sql(t));
      await client.query(
        `CREATE TABLE ${t('schema_migrations')} (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)`,
      );
      await client.query(`INSERT INTO ${t('schema_migrations')} VALUES (1, 'initial schema', 1)`);
      await client.query(`SET search_path TO "${schema}"`);
      for (const statement of SEED)
        await client.query(statement.replace(/X'([0-9A-F]+)'/g, "'\\x$1'::bytea"));

      const store = await openPostgresStore({ url: PG_URL, schema });
      onTestFinished(() => store.close());
      await expectMigrated(store);
    });
  },
);
