import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { RunRecord } from '../../../src/core/model/run-record.js';
import { fromLedger, toLedgerData } from '../../../src/core/store/rows/ledger-codec.js';
import { openSqliteStore } from '../../../src/core/store/sqlite/sqlite-state-store.js';
import type { StateStore } from '../../../src/core/store/state-store.js';
import { sqliteStoreAtVersion } from '../../support/old-store.js';
import { tempDir } from '../../support/temp.js';
import { ledgerRun } from './fixtures/child-jobs.js';

/** `ledgerRun(i)` of another group or process (the id stays a digest of group g's run: unique enough). */
function variant(i: number, group: string, process: string, finishedAt?: number): RunRecord {
  const run = ledgerRun(i, finishedAt);
  return { ...run, id: `${group}-${process}-${run.id}`, group, process };
}

function rows(path: string, sql: string): unknown[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare(sql).all();
  } finally {
    db.close();
  }
}

async function succeededBy(store: StateStore, group: string): Promise<Record<string, number>> {
  const counts = await store.runs.countByState(group);
  return Object.fromEntries(counts.filter((c) => c.state === 'succeeded').map((c) => [c.process, c.count]));
}

async function found(store: StateStore, runs: readonly RunRecord[]): Promise<number> {
  const states = await store.runs.lookup(
    runs.map((r) => r.id),
    runs.map((r) => r.eventId),
  );
  return states.size;
}

const flushOf = (ledger: RunRecord[]) => ({ runs: [], ledger, efforts: [], parked: [] });

describe('SQLite run ledger (schema 6: one row per batch, an event index)', () => {
  it('Given a schema-5 file with ledger runs of two groups and processes, When opened, Then they move into batches of up to 1,000 and read back as schema 5 read them', async () => {
    const path = join(tempDir(), 'agent.db');
    const db = sqliteStoreAtVersion(path, 5);
    const insert = db.prepare(
      'INSERT INTO run_ledger (id, event_id, group_name, process, data, finished_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const runs = [
      ...Array.from({ length: 2_500 }, (_, i) => ledgerRun(i)),
      ...Array.from({ length: 10 }, (_, i) => variant(i, 'g', 'q')),
      ...Array.from({ length: 5 }, (_, i) => variant(i, 'h', 'p')),
    ];
    db.transaction(() => {
      for (const run of runs) {
        const data = JSON.stringify(toLedgerData(run));
        insert.run(run.id, run.eventId, run.group, run.process, data, run.finishedAt);
      }
    })();
    const before = new Map(
      runs.map((run) => [
        run.id,
        fromLedger({
          id: run.id,
          group_name: run.group,
          process: run.process,
          data: JSON.stringify(toLedgerData(run)),
        }),
      ]),
    );
    db.close();

    const store = await openSqliteStore({ path });
    onTestFinished(() => store.close());

    expect(rows(path, 'SELECT group_name, process, count FROM run_ledger ORDER BY seq')).toEqual([
      { group_name: 'g', process: 'p', count: 1_000 },
      { group_name: 'g', process: 'p', count: 1_000 },
      { group_name: 'g', process: 'p', count: 500 },
      { group_name: 'g', process: 'q', count: 10 },
      { group_name: 'h', process: 'p', count: 5 },
    ]);
    expect(rows(path, 'SELECT count(*) AS n FROM run_ledger_events')).toEqual([{ n: 2_515 }]);
    expect(await succeededBy(store, 'g')).toEqual({ p: 2_500, q: 10 });
    expect(await succeededBy(store, 'h')).toEqual({ p: 5 });
    expect(await found(store, runs)).toBe(2_515);
    for (const run of [runs[0]!, runs[1_999]!, runs[2_505]!, runs[2_514]!]) {
      expect(await store.runs.get(run.id, run.eventId)).toEqual(before.get(run.id));
      expect(await store.runs.get(run.id)).toEqual(before.get(run.id));
    }
    const iterated = new Map<string, RunRecord>();
    for await (const run of store.runs.iterate('ledger', 300)) iterated.set(run.id, run);
    expect(iterated).toEqual(before);
  });

  it('Given one flush of two processes, Then it writes one row each, and a redelivered run flushed again keeps its one record', async () => {
    const path = join(tempDir(), 'agent.db');
    const store = await openSqliteStore({ path });
    onTestFinished(() => store.close());
    const p = Array.from({ length: 300 }, (_, i) => ledgerRun(i));
    const q = Array.from({ length: 20 }, (_, i) => variant(i, 'g', 'q'));

    await store.flush(flushOf([...p, ...q]));
    await store.flush(flushOf([ledgerRun(7, 9_000), ledgerRun(300)]));

    expect(rows(path, 'SELECT process, count FROM run_ledger ORDER BY seq')).toEqual([
      { process: 'p', count: 300 },
      { process: 'q', count: 20 },
      { process: 'p', count: 1 },
    ]);
    expect(await succeededBy(store, 'g')).toEqual({ p: 301, q: 20 });
    expect(await store.runs.get(p[7]!.id, 'evt-7')).toMatchObject({ finishedAt: 1_007 });
    expect(await found(store, [...p, ...q, ledgerRun(300)])).toBe(321);
    const latest = await store.runs.list({ group: 'g', limit: 3 });
    expect(latest.map((r) => r.eventId)).toEqual(['evt-300', 'evt-299', 'evt-298']);
    expect((await store.runs.list({ eventId: 'evt-3' })).map((r) => r.process).sort()).toEqual(['p', 'q']);
  });

  it('Given new runs whose event ids the ledger already indexes (another rule ran on those events), When flushed, Then they are stored beside the others, once', async () => {
    const path = join(tempDir(), 'agent.db');
    const store = await openSqliteStore({ path });
    onTestFinished(() => store.close());
    const first = Array.from({ length: 300 }, (_, i) => ledgerRun(i));
    const sameEvents = first.map((run) => ({ ...run, id: `other-rule-${run.id}`, rule: 'other' }));

    await store.flush(flushOf(first));
    await store.flush(flushOf([...sameEvents, ledgerRun(300)]));
    await store.flush(flushOf(sameEvents));

    expect(rows(path, 'SELECT count FROM run_ledger ORDER BY seq')).toEqual([{ count: 300 }, { count: 301 }]);
    expect(await found(store, [...first, ...sameEvents, ledgerRun(300)])).toBe(601);
    expect((await store.runs.list({ eventId: 'evt-3' })).map((r) => r.rule).sort()).toEqual(['other', 'r']);
  });

  it('Given batches across the cut, When pruned, Then exactly the runs finished before it go: straddling batches are rewritten, their events unindexed, emptied batches deleted', async () => {
    const path = join(tempDir(), 'agent.db');
    const store = await openSqliteStore({ path });
    onTestFinished(() => store.close());
    const first = Array.from({ length: 100 }, (_, i) => ledgerRun(i)); // finished 1,000 … 1,099
    const second = Array.from({ length: 100 }, (_, i) => ledgerRun(100 + i, 2_000 + i));
    await store.flush(flushOf(first));
    await store.flush(flushOf(second));

    expect(await store.runs.prune(1_050, true)).toBe(50);
    expect(await store.runs.prune(1_050)).toBe(50);
    expect(await succeededBy(store, 'g')).toEqual({ p: 150 });
    expect(await found(store, first.slice(0, 50))).toBe(0);
    expect(await found(store, first.slice(50))).toBe(50);
    expect(
      rows(path, "SELECT count(*) AS n FROM run_ledger_events WHERE event_id IN ('evt-0', 'evt-49')"),
    ).toEqual([{ n: 0 }]);
    expect(rows(path, 'SELECT count, first_finished, last_finished FROM run_ledger ORDER BY seq')).toEqual([
      { count: 50, first_finished: 1_050, last_finished: 1_099 },
      { count: 100, first_finished: 2_000, last_finished: 2_099 },
    ]);

    expect(await store.runs.prune(2_010)).toBe(60);
    expect(rows(path, 'SELECT count FROM run_ledger ORDER BY seq')).toEqual([{ count: 90 }]);
    expect(await found(store, second)).toBe(90);
    expect(await store.runs.prune(3_000)).toBe(90);
    expect(
      rows(path, 'SELECT (SELECT count(*) FROM run_ledger) + (SELECT count(*) FROM run_ledger_events) AS n'),
    ).toEqual([{ n: 0 }]);
  });

  it('Given a ledger run executed again that fails, When flushed, Then its batch drops it (an emptied batch is deleted) and the failed run is what is found', async () => {
    const path = join(tempDir(), 'agent.db');
    const store = await openSqliteStore({ path });
    onTestFinished(() => store.close());
    const run = ledgerRun(1);
    await store.flush(flushOf([run]));

    const failed: RunRecord = { ...run, state: 'failed', error: 'boom', updatedAt: 5_000 };
    await store.flush({ runs: [failed], ledger: [], efforts: [], parked: [], replaced: [run.id] });

    expect(
      rows(path, 'SELECT (SELECT count(*) FROM run_ledger) + (SELECT count(*) FROM run_ledger_events) AS n'),
    ).toEqual([{ n: 0 }]);
    expect(await store.runs.lookup([run.id], [run.eventId])).toEqual(new Map([[run.id, 'failed']]));
  });
});
