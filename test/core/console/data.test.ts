import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { ConsoleFeed, type LiveAgent } from '../../../src/core/console/data.js';
import { SEARCH_CAP } from '../../../src/core/console/failed-window.js';
import { Paced, refreshInterval } from '../../../src/core/console/pacing.js';
import type { RunRecord } from '../../../src/core/model/run-record.js';
import type { StatusSnapshot } from '../../../src/core/model/status-snapshot.js';
import { listRuns } from '../../../src/core/ops/runs/list-runs.js';
import { collectStatus } from '../../../src/core/ops/status.js';
import type { PartitionStatus } from '../../../src/core/sources/source.js';
import type { NewFailedMessage } from '../../../src/core/store/records.js';
import { openSqliteStore, type SqliteStateStore } from '../../../src/core/store/sqlite/sqlite-state-store.js';
import { Telemetry } from '../../../src/core/telemetry/telemetry.js';
import { tempDir } from '../../support/temp.js';

const encoder = new TextEncoder();
let stores: SqliteStateStore[] = [];

afterEach(async () => {
  await Promise.all(stores.map((s) => s.close()));
  stores = [];
});

async function givenAStore(clock = new FakeClock()): Promise<SqliteStateStore> {
  const store = await openSqliteStore({ path: join(tempDir('console-data-'), 'agent.db'), clock });
  stores.push(store);
  return store;
}

function parked(n: number, group = 'orders'): NewFailedMessage {
  return {
    group,
    source: 'local:events',
    partition: String(n % 4),
    position: String(n),
    reason: 'process',
    kind: 'event',
    error: n % 10 === 0 ? `order ${n} has no customer` : `order ${n} timed out`,
    rule: 'score-order',
    process: 'score',
    eventId: `evt-${n}`,
    eventType: 'order.created',
    attempts: 1,
    raw: encoder.encode(JSON.stringify({ id: `evt-${n}`, data: { n } })),
    timestamp: 1_700_000_000_000 + n,
    failedAt: 1_700_000_000_000 + n,
    key: `${group}/${n}`,
  };
}

async function park(store: SqliteStateStore, from: number, to: number, group = 'orders'): Promise<void> {
  const items = Array.from({ length: to - from + 1 }, (_, i) => parked(from + i, group));
  await store.flush({ runs: [], ledger: [], efforts: [], parked: items });
}

function snapshot(overrides: Partial<StatusSnapshot> = {}): StatusSnapshot {
  return {
    agentId: 'orders@host#1',
    name: 'orders',
    state: 'ACTIVE',
    stateSince: 1_700_000_000_000,
    startedAt: 1_700_000_000_000,
    takenAt: 1_700_000_000_000,
    source: { uri: 'local:events', id: 'local:events' },
    counters: {
      read: 10,
      processed: 9,
      unmatched: 0,
      filtered: 0,
      parked: 1,
      skippedRuns: 0,
      runs: { pending: 0, running: 0, succeeded: 9, failed: 1 },
      stepAttempts: 0,
      stepRetries: 0,
      publishAttempts: 0,
      publishRetries: 0,
      delivered: 0,
      publishGiveUps: 0,
      commits: 1,
      done: 10,
    },
    throughput: { perSecond: 5, history: [1, 5] },
    errorRate: 0.1,
    partitions: [
      {
        partition: '0',
        state: 'reading',
        committed: '10',
        latest: '40',
        lagRecords: 30,
        owner: 'orders@host#1',
      },
    ],
    sinks: [],
    runner: { kind: 'inline', inFlight: 0, concurrency: 1 },
    inFlight: 2,
    ...overrides,
  };
}

const page = { top: 0, limit: 10 };

describe('ConsoleFeed', () => {
  it('lists the failed store newest first, a window at a time, at any depth', async () => {
    const store = await givenAStore();
    await park(store, 1, 1_000);
    await park(store, 1_001, 1_050, 'billing');
    const feed = new ConsoleFeed({ store, group: 'orders' });
    const first = await feed.load({ failed: page });
    expect(first.failed.total).toBe(1_000);
    expect(first.failed.rows.map((r) => r.eventId)).toEqual(
      Array.from({ length: 10 }, (_, i) => `evt-${1_000 - i}`),
    );
    expect(first.failed.rows[0]).toMatchObject({
      reason: 'process',
      preview: '{"id":"evt-1000","data":{"n":1000}}',
    });
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 1_100 }),
        fc.integer({ min: 1, max: 40 }),
        async (top, limit) => {
          const view = await feed.load({ failed: { top, limit } });
          const start = Math.min(top, 999);
          const expected = Array.from(
            { length: Math.min(limit, 1_000 - start) },
            (_, i) => `evt-${1_000 - start - i}`,
          );
          expect(view.failed.top).toBe(start);
          expect(view.failed.rows.map((r) => r.eventId)).toEqual(expected);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('keeps paging right while items leave the pending list', async () => {
    const store = await givenAStore();
    await park(store, 1, 200);
    const feed = new ConsoleFeed({ store, group: 'orders' });
    await feed.load({ failed: { top: 50, limit: 5 } });
    await store.failed.setStatus([200, 199, 198, 100], 'discarded');
    const view = await feed.load({ failed: { top: 50, limit: 5 } });
    expect(view.failed.total).toBe(196);
    expect(view.failed.rows.map((r) => r.id)).toEqual([147, 146, 145, 144, 143]);
  });

  it('searches error, event id and payload, newest first, and caps what it lists', async () => {
    const store = await givenAStore();
    await park(store, 1, 1_200);
    const feed = new ConsoleFeed({ store, group: 'orders' });
    const found = await feed.load({ failed: { top: 0, limit: 3, search: 'NO CUSTOMER' } });
    expect(found.failed).toMatchObject({ total: 120, capped: false });
    expect(found.failed.rows.map((r) => r.id)).toEqual([1_200, 1_190, 1_180]);
    const many = await feed.load({ failed: { top: 0, limit: 3, search: 'order' } });
    expect(many.failed).toMatchObject({ total: 1_200, capped: true });
    expect(many.failed.rows.map((r) => r.id)).toEqual([SEARCH_CAP, SEARCH_CAP - 1, SEARCH_CAP - 2]);
  });

  it('shows a live agent from its snapshot, with its failed attempts from telemetry', async () => {
    const clock = new FakeClock();
    const store = await givenAStore(clock);
    const telemetry = new Telemetry();
    const live: LiveAgent = {
      id: 'orders@host#1',
      telemetry,
      snapshot: async () => snapshot(),
      requestDrain: () => undefined,
    };
    const feed = new ConsoleFeed({ store, agent: live, clock });
    telemetry.emit('attempt', { kind: 'step', id: 'run-1', name: 'charge', attempt: 1, ok: true });
    telemetry.emit('attempt', {
      kind: 'step',
      id: 'run-2',
      name: 'charge',
      attempt: 1,
      ok: false,
      error: 'card declined',
      nextAttemptAt: clock.now() + 2_000,
    });
    const view = await feed.load({ failed: page });
    expect(view.agents).toHaveLength(1);
    expect(view.agents[0]).toMatchObject({
      id: 'orders@host#1',
      state: 'ACTIVE',
      alive: true,
      perSecond: 5,
      errorRate: 0.1,
    });
    expect(view.partitions).toEqual([
      expect.objectContaining({
        partition: '0',
        committed: '10',
        latest: '40',
        lagRecords: 30,
        sourceId: 'local:events',
        lagHistory: [30],
      }),
    ]);
    expect(view.retries.steps).toEqual([
      expect.objectContaining({
        id: 'run-2',
        name: 'charge',
        state: 'waiting',
        attempts: 1,
        error: 'card declined',
      }),
    ]);
    telemetry.emit('attempt', { kind: 'step', id: 'run-2', name: 'charge', attempt: 2, ok: true });
    clock.advance(1_000);
    const later = await feed.load({ failed: page });
    expect(later.retries.steps).toEqual([
      expect.objectContaining({ id: 'run-2', state: 'recovered', attempts: 2 }),
    ]);
    expect(later.partitions[0]?.lagHistory).toEqual([30, 30]);
    feed.close();
  });

  it('asks the source where partitions stand while no running agent reports them', async () => {
    const clock = new FakeClock();
    const store = await givenAStore(clock);
    await store.checkpoints.set([{ group: 'orders', source: 'local:events', partition: '0', position: '5' }]);
    let probes = 0;
    const partitions: PartitionStatus[] = [
      { partition: '0', state: 'unassigned', committed: '5', latest: '99', lagRecords: 94 },
      { partition: '1', state: 'unassigned', latest: '7', lagRecords: 8 },
    ];
    const probe = {
      describe: async () => {
        probes += 1;
        return { sourceId: 'local:events', group: 'orders', partitions };
      },
    };
    const feed = new ConsoleFeed({ store, group: 'orders', probe, clock });
    const view = await feed.load({ failed: page });
    expect(view.partitions.map((p) => [p.partition, p.committed, p.latest, p.lagRecords, p.state])).toEqual([
      ['0', '5', '99', 94, 'unassigned'],
      ['1', undefined, '7', 8, 'unassigned'],
    ]);
    await feed.load({ failed: page });
    expect(probes).toBe(1);
    clock.advance(5_000);
    await feed.load({ failed: page });
    expect(probes).toBe(2);
  });
  it('Given every group shown, When the probe describes its own group, Then other groups keep their rows', async () => {
    const clock = new FakeClock();
    const store = await givenAStore(clock);
    await store.checkpoints.set([
      { group: 'audit', source: 'local:events', partition: '0', position: '3' },
      { group: 'orders', source: 'local:events', partition: '0', position: '5' },
    ]);
    const partitions: PartitionStatus[] = [
      { partition: '0', state: 'unassigned', committed: '5', latest: '99', lagRecords: 94 },
    ];
    const probe = { describe: async () => ({ sourceId: 'local:events', group: 'orders', partitions }) };
    const feed = new ConsoleFeed({ store, probe, clock });

    const view = await feed.load({ failed: page });

    expect(view.partitions.map((p) => [p.group, p.partition, p.committed, p.latest])).toEqual([
      ['audit', '0', '3', undefined],
      ['orders', '0', '5', '99'],
    ]);
    feed.close();
  });
});

function failedRuns(from: number, to: number, at: number): RunRecord[] {
  return Array.from({ length: to - from + 1 }, (_, i) => ({
    id: `run-${from + i}`,
    group: 'orders',
    eventId: `evt-${from + i}`,
    eventType: 'order.created',
    rule: 'score-order',
    process: 'score',
    state: 'failed' as const,
    attempts: 1,
    steps: [],
    createdAt: at,
    finishedAt: at,
    error: 'boom',
    runner: 'inline',
    updatedAt: at,
  }));
}

describe('ConsoleFeed counts', () => {
  it('Given runs failing while the console is open, When it refreshes a second later, Then its run counts and failed reasons are what status counts now', async () => {
    const clock = new FakeClock(1_700_000_000_000);
    const store = await givenAStore(clock);
    await store.runs.upsert(failedRuns(1, 1_617, clock.now()));
    await park(store, 1, 1_617);
    const feed = new ConsoleFeed({ store, group: 'orders', clock });
    await feed.load({ failed: page, focus: 'processes' });

    await store.runs.upsert(failedRuns(1_618, 1_780, clock.now()));
    await park(store, 1_618, 1_780);
    clock.advance(1_000);
    const view = await feed.load({ failed: page, focus: 'partitions' });
    const status = await collectStatus(store, { group: 'orders', now: clock.now() });

    expect(view.runs.byProcess).toEqual([{ process: 'score', state: 'failed', count: 1_780 }]);
    expect(view.runs.byProcess).toEqual(status.runs.byProcess);
    expect(view.failed.byReason).toEqual(status.failed.byReason);
    feed.close();
  });
});

describe('ConsoleFeed recent runs', () => {
  it('Given runs written while the Partitions pane was on screen, When the operator switches to Processes, Then the recent runs shown are those of now', async () => {
    const clock = new FakeClock(1_700_000_000_000);
    const store = await givenAStore(clock);
    // A loaded machine: every reading of the clock finds 40 ms gone, so each query "costs" something.
    const slow = {
      now: () => {
        clock.set(clock.now() + 40);
        return clock.now();
      },
      sleep: clock.sleep.bind(clock),
    };
    const feed = new ConsoleFeed({ store, group: 'orders', clock: slow });
    expect((await feed.load({ failed: page, focus: 'partitions' })).runs.recent).toEqual([]);

    await store.runs.upsert(failedRuns(1, 30, clock.now()));
    clock.advance(200);
    const view = await feed.load({ failed: page, focus: 'processes' });

    expect(view.runs.recent).toHaveLength(30);
    feed.close();
  });
});

describe('refreshInterval', () => {
  it('keeps the interval asked for while a load takes at most a tenth of it, and stretches it to whole seconds beyond', () => {
    expect(refreshInterval(1_000, 40)).toBe(1_000);
    expect(refreshInterval(1_000, 100)).toBe(1_000);
    expect(refreshInterval(1_000, 250)).toBe(3_000);
    expect(refreshInterval(500, 60)).toBe(1_000);
    expect(refreshInterval(10_000, 300)).toBe(10_000);
  });

  it('never asks for loads more often than asked, nor lets them take more than their share', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60_000 }),
        fc.double({ min: 0, max: 30_000, noNaN: true }),
        (asked, cost) => {
          const every = refreshInterval(asked, cost);
          expect(every).toBeGreaterThanOrEqual(asked);
          expect(cost / every).toBeLessThanOrEqual(0.1 + 1e-9);
        },
      ),
    );
  });
});

describe('Paced', () => {
  it('re-runs a query when its key changes, or when due by its minimum interval and its cost', async () => {
    const clock = new FakeClock();
    const paced = new Paced<number>({ minMs: 1_000, share: 0.01, clock });
    let runs = 0;
    const costly = async () => {
      runs++;
      clock.advance(50); // the query takes 50 ms: at 1 % of wall time, it runs at most every 5 s
      return runs;
    };
    expect(await paced.get('a', costly)).toBe(1);
    clock.advance(1_000);
    expect(await paced.get('a', costly)).toBe(1);
    clock.advance(4_000);
    expect(await paced.get('a', costly)).toBe(2);
    expect(await paced.get('b', costly)).toBe(3);
    paced.invalidate();
    expect(await paced.get('b', costly)).toBe(4);
    expect(await paced.get('b', async () => 0, 0)).toBe(4);
  });
});

describe('ConsoleFeed recent runs and runs list', () => {
  it('Given runs of two groups, When the Processes pane loads, Then its recent runs are what `runs list --group` gives', async () => {
    const store = await givenAStore();
    const runs = failedRuns(1, 30, 1_000).map((r, i) => ({
      ...r,
      group: i % 3 === 0 ? 'billing' : 'orders',
      updatedAt: 1_000 + i,
    }));
    await store.runs.upsert(runs);
    const feed = new ConsoleFeed({ store, group: 'orders', recentRuns: 8 });

    const view = await feed.load({ failed: page, focus: 'processes' });

    const listed = await listRuns(store, { group: 'orders', limit: 8 });
    expect(view.runs.recent.map((r) => r.id)).toEqual(listed.runs.map((r) => r.id));
    expect(view.runs.recent.map((r) => r.id)).toEqual([
      'run-30',
      'run-29',
      'run-27',
      'run-26',
      'run-24',
      'run-23',
      'run-21',
      'run-20',
    ]);
    feed.close();
  });
});
