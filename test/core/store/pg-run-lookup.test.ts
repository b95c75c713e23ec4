import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import type { PgConnection } from '../../../src/core/store/postgres/pg-connection.js';
import {
  openPostgresStore,
  type PostgresStateStore,
} from '../../../src/core/store/postgres/postgres-state-store.js';
import { dropSchemas, PG_URL, pgClient, postgresAvailable, serviceSuite } from '../../support/services.js';
import { flushLedger, ledgerRun } from './fixtures/child-jobs.js';
import { seqScans } from './fixtures/seq-scans.js';

const available = await postgresAvailable();
const PREFIX = `agentctl_lookup_${randomBytes(4).toString('hex')}`;
const schemas: string[] = [];

/** One connection: every lookup runs on the session that prepared it. */
async function open(schema: string): Promise<PostgresStateStore> {
  const store = await openPostgresStore({ url: PG_URL, schema, poolSize: 1 });
  onTestFinished(() => store.close());
  return store;
}

describe.skipIf(!available)(
  serviceSuite('PostgreSQL run lookups by event id (prepared)', available, 'PostgreSQL', 'PG_URL'),
  () => {
    afterAll(() => dropSchemas(schemas));

    it('Given lookups prepared while no full run was stored, When 5,000 full runs are stored without new statistics, Then lookups still probe runs by id (never read them whole) and tell ledger runs from full ones', async () => {
      const schema = `${PREFIX}_0`;
      schemas.push(schema);
      const store = await open(schema);
      await flushLedger(store, ['0', '10', '10']);
      const runs = Array.from({ length: 500 }, (_, i) => ledgerRun(i));
      const ids = runs.map((r) => r.id);
      const eventIds = runs.map((r) => r.eventId);
      // Past the executions after which the server may keep one generic plan for the statement.
      for (let i = 0; i < 8; i++) expect((await store.runs.lookup(ids, eventIds)).size).toBe(10);

      const db = await pgClient();
      // Full runs: 5,000 others, one of a ledger run (a failed try before it succeeded) and one of a
      // looked-up run not in the ledger.
      await db.query(
        `INSERT INTO "${schema}".runs (id, group_name, event_id, event_type, rule, process, state, attempts,
           steps, created_at, runner, updated_at)
         SELECT id, 'g', 'e', 't', 'r', 'p', state, 1, '[]', 0, 'inline', 0
         FROM (SELECT 'bulk-' || g AS id, 'failed' AS state FROM generate_series(1, 5000) g
               UNION ALL VALUES ($1, 'failed'), ($2, 'running')) x`,
        [ids[3], ids[20]],
      );
      const { connection } = store as unknown as { connection: PgConnection };
      const scans = () => seqScans(store, db, schema, 'runs');
      const scansBefore = await scans();

      const found = await store.runs.lookup(ids, eventIds);

      expect(await scans()).toBe(scansBefore);
      expect(found.size).toBe(11);
      expect(found.get(ids[3]!)).toBe('succeeded');
      expect(found.get(ids[20]!)).toBe('running');
      const [prepared] = await connection.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_prepared_statements WHERE name = 'agentctl_run_lookup'",
      );
      expect(prepared?.n).toBe(1);
    });
  },
);
