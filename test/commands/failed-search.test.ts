import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/core/store/sqlite/sqlite-state-store.js';
import { aParked } from '../core/store/state-store-contract.js';
import { agentctl } from '../support/cli.js';
import { pgStoreAtVersion, sqliteStoreAtVersion } from '../support/old-store.js';
import { dropSchemas, PG_URL, postgresAvailable, serviceSuite } from '../support/services.js';
import { tempDir } from '../support/temp.js';

const available = await postgresAvailable();
const bytes = (text: string) => new TextEncoder().encode(text);

/** Items as parked by an agent; `failed list --search` must find each by what the comment says. */
const ITEMS = [
  // by its error, whatever the case
  aParked({ error: 'Connection REFUSED by billing: retry later', attempts: 3 }),
  // by its event type, and by its payload (accents folded on SQLite)
  aParked({ eventType: 'invoice.paid', raw: bytes('{"customer":"Zoë Ångström","order":"ord-4a1f"}') }),
  // by its event id, and by text that is FTS5 or LIKE syntax: - : " % _
  aParked({ eventId: 'evt-42', error: 'sink said: "no" - 50% off_limits' }),
];

/** The event ids (else errors) of the items `failed list --json` prints for these arguments. */
function found(dir: string, ...args: string[]): string[] {
  const run = agentctl(['failed', 'list', '--json', ...args], { cwd: dir });
  expect(run.code, run.stderr).toBe(0);
  return run.json<{ eventId?: string; error: string }[]>().map((item) => item.eventId ?? item.error);
}

async function projectWithParkedItems(): Promise<string> {
  const dir = tempDir('failed-search-');
  mkdirSync(join(dir, '.agentctl'));
  const store = await openSqliteStore({ path: join(dir, '.agentctl', 'agent.db') });
  await store.flush({ runs: [], ledger: [], efforts: [], parked: ITEMS });
  await store.close();
  return dir;
}

describe('agentctl failed list --search (SQLite: the FTS5 index)', () => {
  it('finds words in order, next to each other, in the error, event type, event id or payload; case and accents ignored', async () => {
    const dir = await projectWithParkedItems();
    const [refused, paid] = ['Connection REFUSED by billing: retry later', 'step "notify" failed: smtp 503'];

    expect(found(dir, '--search', 'connection refused')).toEqual([refused]);
    expect(found(dir, '--search', 'INVOICE.PAID')).toEqual([paid]);
    expect(found(dir, '--search', 'zoe angstrom')).toEqual([paid]);
    expect(found(dir, '--search', 'EVT-42')).toEqual(['evt-42']);
    expect(found(dir, '--search', 'refused connection')).toEqual([]);
  });

  it('reads a trailing * as a prefix and everything else as text: - : " % _ AND NEAR never fail', async () => {
    const dir = await projectWithParkedItems();

    expect(found(dir, '--search', 'ord-4a')).toEqual([]);
    expect(found(dir, '--search', 'ord-4a*')).toEqual(['step "notify" failed: smtp 503']);
    expect(found(dir, '--search', 'said: "no" -')).toEqual(['evt-42']);
    expect(found(dir, '--search', '50% off_')).toEqual(['evt-42']);
    expect(found(dir, '--search', 'NEAR(billing retry)')).toEqual([]);
    expect(found(dir, '--search', '" -')).toEqual(['evt-42']);
  });

  it('combines with --where and --status', async () => {
    const dir = await projectWithParkedItems();

    expect(found(dir, '--search', 'retry', '--where', 'attempts >= 3')).toHaveLength(1);
    expect(found(dir, '--search', 'retry', '--where', 'attempts >= 4')).toEqual([]);
    expect(found(dir, '--search', 'retry', '--status', 'discarded')).toEqual([]);
    expect(found(dir, '--search', 'retry', '--status', 'any')).toHaveLength(1);
  });
});

describe('agentctl store migrate back-fills the search index', () => {
  it('Given a schema-6 store with parked items, When migrated, Then failed list --search finds them and new items too', async () => {
    const dir = tempDir('failed-search-old-');
    const path = join(dir, 'agent.db');
    const db = sqliteStoreAtVersion(path, 6);
    insertOld(db, 'a', 'upstream 502 from ledger', '{"sku":"blue-widget"}');
    insertOld(db, 'b', 'schema mismatch', '{"sku":"red-gadget"}');
    db.close();

    const refused = agentctl(['failed', 'list', '--db', path, '--search', 'widget'], { cwd: dir });
    const migrated = agentctl(['store', 'migrate', '--db', path, '--json'], { cwd: dir });

    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('has schema version 6');
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(migrated.json()).toMatchObject({ from: 6 });
    expect(found(dir, '--db', path, '--search', 'blue widget')).toEqual(['evt-a']);
    expect(found(dir, '--db', path, '--search', 'upstream 502')).toEqual(['evt-a']);
    expect(found(dir, '--db', path, '--search', 'mismatch')).toEqual(['evt-b']);
  });
});

function insertOld(db: import('better-sqlite3').Database, n: string, error: string, payload: string): void {
  db.prepare(
    `INSERT INTO failed_messages (key, group_name, source, partition, position, reason, kind, error, event_id,
       event_type, attempts, raw, timestamp, status, first_failed_at, last_failed_at, history)
     VALUES (?, 'orders', 'local:orders', '0', ?, 'process', 'event', ?, ?, 'order.created', 1, ?, 1, 'pending', 1, 1, '[]')`,
  ).run(`k-${n}`, n, error, `evt-${n}`, Buffer.from(payload));
}

describe.skipIf(!available)(
  serviceSuite(
    'agentctl failed list --search on PostgreSQL (pg_trgm index)',
    available,
    'PostgreSQL',
    'PG_URL',
  ),
  () => {
    const schema = `agentctl_search_${randomBytes(4).toString('hex')}`;
    afterAll(() => dropSchemas([schema]));

    it('Given a schema-4 store with parked items, When migrated, Then the trigram index exists and failed list --search finds substrings through it', async () => {
      const dir = tempDir('failed-search-pg-');
      await pgStoreAtVersion(PG_URL, schema, 4);
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      try {
        await client.query(
          `INSERT INTO "${schema}".failed_messages (key, group_name, source, partition, position, reason, kind,
             error, event_id, event_type, attempts, raw, timestamp, status, first_failed_at, last_failed_at, history)
           SELECT 'k-' || i, 'orders', 'local:orders', '0', i::text, 'process', 'event', 'upstream ' || i,
             'evt-' || i, 'order.created', 1, convert_to('{"sku":"widget-' || i || '"}', 'UTF8'), 1, 'pending', 1,
             1, '[]'::jsonb
           FROM generate_series(1, 2000) i`,
        );
        const db = `${PG_URL}?schema=${schema}`;
        const migrated = agentctl(['store', 'migrate', '--db', db, '--json'], { cwd: dir });
        expect(migrated.code, migrated.stderr).toBe(0);
        const index = await client.query(
          `SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname = 'failed_messages_search'`,
          [schema],
        );
        expect(index.rows[0]?.indexdef).toContain('gin_trgm_ops');
        await client.query(`ANALYZE "${schema}".failed_messages`);
        const icu = await client.query("SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu'");
        const plan = await client.query(
          `EXPLAIN SELECT id FROM "${schema}".failed_messages
           WHERE "${schema}".payload_text(raw) ILIKE '%dget-1234%'${icu.rowCount ? ' COLLATE "und-x-icu"' : ''}`,
        );
        expect(JSON.stringify(plan.rows)).toContain('failed_messages_search');

        expect(found(dir, '--db', db, '--search', 'DGET-1234"')).toEqual(['evt-1234']);
        expect(found(dir, '--db', db, '--search', 'DGET-1234}')).toEqual([]);
        expect(found(dir, '--db', db, '--search', 'stream 199', '--where', 'id > 1990')).toEqual([
          'evt-1991',
          'evt-1992',
          'evt-1993',
          'evt-1994',
          'evt-1995',
          'evt-1996',
          'evt-1997',
          'evt-1998',
          'evt-1999',
        ]);
      } finally {
        await client.end();
      }
    });
  },
);
