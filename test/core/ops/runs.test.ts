import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { readsEvent, runWhere } from '../../../src/core/filter/run-where.js';
import { Where } from '../../../src/core/filter/where.js';
import type { RunRecord, RunState } from '../../../src/core/model/run-record.js';
import { listRuns, type RunQuery } from '../../../src/core/ops/runs/list-runs.js';
import { runDetail } from '../../../src/core/ops/runs/run-detail.js';
import { openSqliteStore, type SqliteStateStore } from '../../../src/core/store/sqlite/sqlite-state-store.js';
import { tempDir } from '../../support/temp.js';

let stores: SqliteStateStore[] = [];
afterEach(async () => {
  await Promise.all(stores.map((s) => s.close()));
  stores = [];
});

async function givenAStore(): Promise<SqliteStateStore> {
  const store = await openSqliteStore({ path: join(tempDir('runs-'), 'agent.db') });
  stores.push(store);
  return store;
}

function aRun(fields: Partial<RunRecord> & { readonly id: string }): RunRecord {
  return {
    group: 'orders',
    eventId: `evt-${fields.id}`,
    eventType: 'order.created',
    rule: 'ship-order',
    process: 'ship',
    state: 'failed',
    attempts: 1,
    steps: [],
    createdAt: 1_000,
    runner: 'inline',
    updatedAt: 1_000,
    ...fields,
  };
}

/** What `listRuns` must give: the runs of the query, newest change first (ties: greater id first), at most `limit`. */
function expected(all: readonly RunRecord[], query: RunQuery): string[] {
  return all
    .filter(
      (r) =>
        (query.state === undefined || r.state === query.state) &&
        (query.process === undefined || r.process === query.process) &&
        (query.rule === undefined || r.rule === query.rule) &&
        (query.group === undefined || r.group === query.group) &&
        (query.since === undefined || r.updatedAt >= query.since),
    )
    .sort((a, b) => b.updatedAt - a.updatedAt || (a.id < b.id ? 1 : -1))
    .slice(0, query.limit)
    .map((r) => r.id);
}

const runs = fc.uniqueArray(
  fc.record({
    id: fc.stringMatching(/^[a-z0-9]{4}$/),
    state: fc.constantFrom<RunState>('pending', 'running', 'succeeded', 'failed'),
    process: fc.constantFrom('ship', 'audit'),
    rule: fc.constantFrom('ship-order', 'audit-order'),
    group: fc.constantFrom('orders', 'orders', 'orders', 'billing'),
    updatedAt: fc.integer({ min: 1_000, max: 1_100 }),
  }),
  { selector: (r) => r.id, maxLength: 60 },
);
const queries = fc.record(
  {
    state: fc.constantFrom<RunState>('pending', 'running', 'succeeded', 'failed'),
    process: fc.constantFrom('ship', 'audit'),
    rule: fc.constantFrom('ship-order', 'audit-order'),
    group: fc.constantFrom('orders', 'billing', 'nobody'),
    since: fc.integer({ min: 1_000, max: 1_110 }),
  },
  { requiredKeys: [] },
);

describe('listRuns', () => {
  it('gives exactly the runs of every filter, newest first, at most limit — and --where true changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(runs, queries, fc.integer({ min: 1, max: 12 }), async (fields, filter, limit) => {
        const store = await givenAStore();
        const all = fields.map((f) => aRun(f));
        await store.runs.upsert(all);
        const query: RunQuery = { ...filter, limit };

        const plain = await listRuns(store, query);
        const where = Where.compile('true', runWhere);
        const withTrue = await listRuns(store, { ...query, where });

        expect(plain.runs.map((r) => r.id)).toEqual(expected(all, query));
        expect(withTrue.runs).toEqual(plain.runs);
        await store.close();
        stores = stores.filter((s) => s !== store);
      }),
      { numRuns: 30 },
    );
  }, 120_000);

  it('grows its window to find a group whose runs are old, and says when maxScan left runs unseen', async () => {
    const store = await givenAStore();
    const noise = Array.from({ length: 300 }, (_, i) => aRun({ id: `n${i}`, updatedAt: 10_000 + i }));
    const old = aRun({ id: 'old', group: 'billing', updatedAt: 5_000 });
    await store.runs.upsert([...noise, old]);

    const found = await listRuns(store, { group: 'billing', limit: 5 });
    const bounded = await listRuns(store, { group: 'billing', limit: 5, maxScan: 10 });

    expect(found.runs.map((r) => r.id)).toEqual(['old']);
    expect(found.complete).toBe(true);
    expect(bounded.runs).toEqual([]);
    expect(bounded).toMatchObject({ complete: false, scanned: 10 });
  });

  it('reads a run’s event from the local log only when --where names event', async () => {
    const store = await givenAStore();
    const places = await store.log.append(
      'events',
      ['eu', 'us'].map((region, n) => ({
        value: new TextEncoder().encode(JSON.stringify({ id: `e${n}`, data: { region } })),
        partition: 0,
      })),
    );
    await store.runs.upsert(
      places.map((p, n) =>
        aRun({
          id: `r${n}`,
          updatedAt: 1_000 + n,
          origin: { source: 'local:events', partition: String(p.partition), position: String(p.offset) },
        }),
      ),
    );

    const eu = await listRuns(store, {
      where: Where.compile('event.data.region == "eu"', runWhere),
      limit: 10,
    });

    expect(eu.runs.map((r) => r.id)).toEqual(['r0']);
    expect(readsEvent('event.data.x == 1')).toBe(true);
    expect(readsEvent('eventId == "e" && eventType == "t" && x.event == 1')).toBe(false);
  });
});

describe('runDetail', () => {
  it('says a run without step records is a ledger entry, and that another source’s event is not stored', async () => {
    const store = await givenAStore();
    const origin = { source: 'kinesis:orders', partition: 'shardId-0', position: '4960' };
    await store.runs.upsert([aRun({ id: 'AAAAbbbb', state: 'succeeded', origin })]);

    const detail = await runDetail(store, 'AAAA');

    expect(detail).toMatchObject({ ledger: true, efforts: [], parked: [] });
    expect(detail.event).toMatchObject({ stored: 'none' });
    expect(detail.event.stored === 'none' && detail.event.why).toContain(
      'partition shardId-0, position 4960',
    );
  });

  it('refuses a prefix that starts more than one run id, naming them', async () => {
    const store = await givenAStore();
    await store.runs.upsert([aRun({ id: 'AAAAbbbb' }), aRun({ id: 'AAAAcccc' })]);

    await expect(runDetail(store, 'AAAA')).rejects.toThrow(/AAAA is the start of more than one run id: AAAA/);
    await expect(runDetail(store, 'AAAAc')).resolves.toMatchObject({ run: { id: 'AAAAcccc' } });
  });
});
