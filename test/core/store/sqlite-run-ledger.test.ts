import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Database from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import { runIdOf } from '../../../src/core/model/run-id.js';
import { openSqliteStore } from '../../../src/core/store/sqlite/sqlite-state-store.js';
import type { StateStore } from '../../../src/core/store/state-store.js';
import { sqliteStoreAtVersion } from '../../support/old-store.js';
import { tempDir } from '../../support/temp.js';
import { flushLedger, ledgerRun } from './fixtures/child-jobs.js';
import { runTogether } from './fixtures/run-together.js';

const CHILD = fileURLToPath(new URL('./fixtures/store-child.ts', import.meta.url));

/** Ids and event ids of the ledger runs `from` … `to - 1` (see `ledgerRun`). */
function keys(from: number, to: number): { ids: string[]; eventIds: string[] } {
  const runs = Array.from({ length: to - from }, (_, i) => ledgerRun(from + i));
  return { ids: runs.map((r) => r.id), eventIds: runs.map((r) => r.eventId) };
}

async function succeeded(store: StateStore): Promise<number> {
  const counts = await store.runs.countByState('g');
  return counts.reduce((n, c) => n + (c.state === 'succeeded' ? c.count : 0), 0);
}

/** A file at store schema 3 (as agentctl wrote it before the ledger moved to append order). */
function schema3File(path: string): Database.Database {
  return sqliteStoreAtVersion(path, 3);
}

describe('SQLite run ledger (schema 4: append order, found by event id)', () => {
  it('Given a schema-3 file with ledger runs, When opened, Then they are found by id and by event id, in finish order, and prune by finish time', async () => {
    const path = join(tempDir(), 'agent.db');
    const db = schema3File(path);
    const insert = db.prepare(
      'INSERT INTO run_ledger (id, group_name, process, data, finished_at) VALUES (?, ?, ?, ?, ?)',
    );
    // Written in id order (schema 3's key order); finish times in another order.
    const runs = [ledgerRun(0, 5_000), ledgerRun(1, 3_000), ledgerRun(2, 4_000)];
    for (const run of [...runs].sort((a, b) => (a.id < b.id ? -1 : 1))) {
      const data: unknown[] = [
        run.eventId,
        run.eventType,
        run.rule,
        run.createdAt,
        run.startedAt,
        run.finishedAt,
      ];
      data.push(run.runner, null, null, null, null, null, 's', run.startedAt!, 1);
      insert.run(run.id, run.group, run.process, JSON.stringify(data), run.finishedAt);
    }
    db.close();

    const store = await openSqliteStore({ path });
    onTestFinished(() => store.close());

    const ids = runs.map((r) => r.id);
    const all = new Map(ids.map((id) => [id, 'succeeded']));
    expect(
      await store.runs.lookup(
        ids,
        runs.map((r) => r.eventId),
      ),
    ).toEqual(all);
    expect(await store.runs.lookup(ids)).toEqual(all);
    expect(await store.runs.get(runs[1]!.id, runs[1]!.eventId)).toMatchObject({
      eventId: 'evt-1',
      finishedAt: 3_000,
    });
    expect(await store.runs.get(runs[0]!.id)).toMatchObject({ eventId: 'evt-0', finishedAt: 5_000 });
    const order: string[] = [];
    for await (const run of store.runs.iterate('ledger', 1)) order.push(run.eventId);
    expect(order).toEqual(['evt-1', 'evt-2', 'evt-0']);
    // The same run flushed again (a redelivery after the restart) keeps its one record.
    await store.flush({ runs: [], ledger: [ledgerRun(0, 9_000)], efforts: [], parked: [] });
    expect(await succeeded(store)).toBe(3);
    expect(await store.runs.prune(4_500)).toBe(2);
    expect(
      await store.runs.lookup(
        ids,
        runs.map((r) => r.eventId),
      ),
    ).toEqual(new Map([[ids[0]!, 'succeeded']]));
  });

  it('Given two processes flushing the same runs into one file at once, Then each run is stored once and found after a restart', async () => {
    const path = join(tempDir(), 'agent.db');
    // Opened (and migrated) first, so the children race on the flushes, not on the schema.
    await (await openSqliteStore({ path })).close();

    const results = await runTogether(CHILD, [
      ['ledger', path, '0', '3000', '250'],
      ['ledger', path, '1000', '4000', '100'],
    ]);

    expect(results).toEqual([{ flushed: 3_000 }, { flushed: 3_000 }]);
    const store = await openSqliteStore({ path });
    onTestFinished(() => store.close());
    expect(await succeeded(store)).toBe(4_000);
    const { ids, eventIds } = keys(0, 4_000);
    const found = await store.runs.lookup(ids, eventIds);
    expect(found.size).toBe(4_000);
    expect([...found.values()].every((state) => state === 'succeeded')).toBe(true);
  });

  it('Given a run executed again on purpose, When flushed, Then its ledger record gives way to the new one', async () => {
    const store = await openSqliteStore({ path: join(tempDir(), 'agent.db') });
    onTestFinished(() => store.close());
    await flushLedger(store, ['0', '10', '10']);

    const again = ledgerRun(4, 7_000);
    await store.flush({ runs: [], ledger: [again], efforts: [], parked: [], replaced: [again.id] });

    expect(await succeeded(store)).toBe(10);
    expect(await store.runs.get(again.id, again.eventId)).toMatchObject({ finishedAt: 7_000 });
  });

  it('Given an event id shared by runs of other rules or sources, When looked up, Then each run id is told apart', async () => {
    const store = await openSqliteStore({ path: join(tempDir(), 'agent.db') });
    onTestFinished(() => store.close());
    const stored = ledgerRun(1);
    await store.flush({ runs: [], ledger: [stored], efforts: [], parked: [] });

    const other = { ...ledgerRun(1), id: runIdOf('g', { source: '/ledger', id: stored.eventId }, 'other') };

    expect(await store.runs.lookup([stored.id, other.id], [stored.eventId, other.eventId])).toEqual(
      new Map([[stored.id, 'succeeded']]),
    );
    expect(await store.runs.get(other.id, other.eventId)).toBeUndefined();
  });
});
