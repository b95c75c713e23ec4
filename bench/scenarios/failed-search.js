// Scenario `failed-search`: `failed list --search` on a SQLite store of 1,000,000 parked items
// (BENCH_ITEMS), built once by SQL in a store file the real migrations created (see ../parked-items.js).
// Each round (BENCH_ROUNDS, default 3) is a fresh process that opens the store read-only and runs each
// search once, as `failed list` does (a first page of 100, id order), checking what it finds. The line
// gives, per search, the median, min and max over the rounds in ms, and `underTarget`: every median under
// 200 ms. There is no baseline: events/s and ratios do not apply.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openSqliteStore } from '../../dist/core/index.js';
import { insertParkedItems } from '../parked-items.js';
import { inChildren, interleaved, median, phase, seconds, tempDir } from '../support.js';

const ITEMS = Number(process.env.BENCH_ITEMS ?? 1_000_000);
const TARGET_MS = 200;
const path = join(process.env.BENCH_DIR ?? '.', 'agent.db');

/** The searches, each with the items (by N of `ev-N`, see ../parked-items.js) it finds. */
const SEARCHES = [
  { search: 'ev-777777', finds: (n) => n === 777_777 },
  { search: 'timeout calling', finds: () => true },
  { search: 'cust-42', finds: (n) => n % 9973 === 42 },
  { search: 'order.created', finds: () => true },
];

/** The event ids of the first page (100) of what `finds` picks among the store's items. */
function firstPage(finds) {
  const ids = [];
  for (let n = 1; n <= ITEMS && ids.length < 100; n++) if (finds(n)) ids.push(`ev-${n}`);
  return ids;
}

async function prepare() {
  mkdirSync(process.env.BENCH_DIR, { recursive: true });
  const started = process.hrtime.bigint();
  await (await openSqliteStore({ path })).close();
  insertParkedItems(path, ITEMS);
  return { buildSeconds: Math.round(seconds(started) * 10) / 10 };
}

async function search() {
  const store = await openSqliteStore({ path, readonly: true });
  const ms = {};
  try {
    for (const { search, finds } of SEARCHES) {
      const started = process.hrtime.bigint();
      const items = await store.failed.list({ search, limit: 100 });
      ms[search] = Math.round(seconds(started) * 1e4) / 10;
      const found = items.map((item) => item.eventId).join(' ');
      if (found !== firstPage(finds).join(' ')) throw new Error(`search ${search} found: ${found}`);
    }
  } finally {
    await store.close();
  }
  return ms;
}

const phases = { prepare, search };
if (phase()) {
  console.log(JSON.stringify(await phases[phase()]()));
} else {
  const file = fileURLToPath(import.meta.url);
  const env = { BENCH_DIR: tempDir('failed-search') };
  const { buildSeconds } = (await inChildren(file, ['prepare'], env)).prepare;
  const rounds = (await interleaved(file, ['search'], undefined, env)).search;
  const searches = Object.fromEntries(
    SEARCHES.map(({ search }) => {
      const ms = rounds.map((round) => round[search]);
      return [
        search,
        { medianMs: Math.round(median(ms) * 10) / 10, minMs: Math.min(...ms), maxMs: Math.max(...ms) },
      ];
    }),
  );
  console.log(
    JSON.stringify({
      scenario: 'failed-search',
      items: ITEMS,
      buildSeconds,
      searches,
      underTarget: Object.values(searches).every((s) => s.medianMs < TARGET_MS),
      target: `each search's median < ${TARGET_MS} ms (in process, first page of 100)`,
      rounds,
    }),
  );
}
