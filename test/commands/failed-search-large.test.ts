import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { insertParkedItems } from '../../bench/parked-items.js';
import type { FailedFilter } from '../../src/core/store/records.js';
import { selectQuery } from '../../src/core/store/sqlite/sqlite-failed-where.js';
import { openSqliteStore } from '../../src/core/store/sqlite/sqlite-state-store.js';
import { agentctl } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

/**
 * `failed list --search` on a store of 20,000 parked items, built as the `failed-search` bench builds its
 * 1,000,000 (`npm run bench -- failed-search` measures the time; this checks what is found and, without
 * timing anything, that it is found through the FTS5 index). Item N: event `ev-N`, error
 * `timeout calling shipping-(N mod 50)`, payload naming customer `cust-(N mod 9973)`, id N.
 */
const ITEMS = 20_000;

/** `ev-N` for each N given. */
const events = (...ns: number[]) => ns.map((n) => `ev-${n}`);
/** The first `count` N with N mod `modulus` = `rest`. */
const every = (modulus: number, rest: number, count: number) =>
  Array.from({ length: count }, (_, k) => rest + modulus * k);

/** What each search finds through the CLI (event ids, in id order). */
const SEARCHES = [
  { args: ['--search', 'ev-7777'], found: events(7777) },
  { args: ['--search', 'timeout calling', '--limit', '5'], found: events(1, 2, 3, 4, 5) },
  { args: ['--search', 'shipping-7', '--limit', '4'], found: events(...every(50, 7, 4)) },
  { args: ['--search', 'cust-42', '--where', 'id > 10000'], found: events(10_015, 19_988) },
  { args: ['--search', 'ev-1999*', '--limit', '3'], found: events(1999, 19_990, 19_991) },
] as const;

/** The plan SQLite makes for the statement `list` runs on `filter`, one line per step. */
function planOf(db: Database.Database, filter: FailedFilter): string[] {
  const query = selectQuery(filter);
  const rows = db.prepare(`EXPLAIN QUERY PLAN ${query.sql}`).all(query.params) as { detail: string }[];
  return rows.map((row) => row.detail);
}

describe(`failed list --search on a store of ${ITEMS.toLocaleString('en')} parked items`, () => {
  let dir: string;
  let path: string;

  beforeAll(async () => {
    dir = tempDir('failed-search-');
    mkdirSync(join(dir, '.agentctl'));
    path = join(dir, '.agentctl', 'agent.db');
    await (await openSqliteStore({ path })).close();
    insertParkedItems(path, ITEMS);
  }, 120_000);

  it.each(SEARCHES)('agentctl failed list $args finds the right items', ({ args, found }) => {
    const run = agentctl(['failed', 'list', ...args, '--json'], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    expect(run.json<{ eventId: string }[]>().map((item) => item.eventId)).toEqual(found);
  });

  it('runs a search from the FTS5 index, joined to the items by id, never scanning the items', () => {
    const db = new Database(path, { readonly: true });
    // A search without a word is a scan through this function; the plan needs it to exist.
    db.function('agentctl_search', { varargs: true }, () => 1);
    try {
      // The statements `failed list --search` runs: its first page, a later page, a page with filters.
      for (const filter of [
        { search: 'ev-7777', status: 'pending', limit: 100 },
        { search: 'timeout calling', afterId: 5000, limit: 500 },
        { search: 'cust-42*', status: 'any', reason: 'process', limit: 100 },
      ] satisfies FailedFilter[]) {
        const plan = planOf(db, filter);
        expect(plan, JSON.stringify(filter)).toContainEqual(
          expect.stringMatching(/^SCAN failed_search VIRTUAL TABLE INDEX /),
        );
        // The items are read one by one, by the ids the index gives, in its order: no scan, no sort.
        expect(plan.filter((step) => /failed_messages/.test(step))).toEqual([
          'SEARCH failed_messages USING INTEGER PRIMARY KEY (rowid=?)',
        ]);
        expect(plan.join('\n'), JSON.stringify(filter)).not.toMatch(/TEMP B-TREE/);
      }
      // The check can tell: a text without a word has no index to use, and its plan reads every pending
      // item (through the status index) without the FTS table.
      const scan = planOf(db, { search: '->', limit: 100 });
      expect(scan.join('\n')).not.toMatch(/failed_search/);
      expect(scan).not.toContain('SEARCH failed_messages USING INTEGER PRIMARY KEY (rowid=?)');
    } finally {
      db.close();
    }
  });
});
