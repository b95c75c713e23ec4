import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import type { StatusSnapshot } from '../../../src/core/model/status-snapshot.js';
import { listCheckpoints } from '../../../src/core/ops/checkpoint-list.js';
import { liveOwners } from '../../../src/core/ops/partition-owners.js';
import { collectStatus } from '../../../src/core/ops/status.js';
import type {
  Checkpointing,
  Coordination,
  PartitionStatus,
  Source,
} from '../../../src/core/sources/source.js';
import { openSqliteStore, type SqliteStateStore } from '../../../src/core/store/sqlite/sqlite-state-store.js';
import { tempDir } from '../../support/temp.js';

let stores: SqliteStateStore[] = [];
afterEach(async () => {
  await Promise.all(stores.map((s) => s.close()));
  stores = [];
});

async function givenAStore(clock: FakeClock): Promise<SqliteStateStore> {
  const store = await openSqliteStore({ path: join(tempDir('partition-owners-'), 'agent.db'), clock });
  stores.push(store);
  return store;
}

interface Reading {
  readonly id: string;
  readonly sourceId: string;
  readonly coordination?: Coordination;
  readonly checkpointing?: Checkpointing;
  readonly partitions: readonly PartitionStatus[];
  readonly state?: 'ACTIVE' | 'SHUTDOWN';
}

/** An agent of group `orders` heartbeating now, with a snapshot of how it reads its source. */
async function heartbeat(store: SqliteStateStore, clock: FakeClock, agent: Reading): Promise<void> {
  const snapshot = {
    agentId: agent.id,
    name: 'orders',
    state: agent.state ?? 'ACTIVE',
    stateSince: clock.now(),
    startedAt: clock.now(),
    takenAt: clock.now(),
    source: {
      uri: agent.sourceId,
      id: agent.sourceId,
      ...(agent.coordination ? { coordination: agent.coordination } : {}),
      ...(agent.checkpointing ? { checkpointing: agent.checkpointing } : {}),
    },
    throughput: { perSecond: 0, history: [] },
    errorRate: 0,
    partitions: agent.partitions,
    sinks: [],
    runner: { kind: 'inline', inFlight: 0, concurrency: 1 },
    inFlight: 0,
  } as unknown as StatusSnapshot;
  await store.agents.heartbeat({
    id: agent.id,
    name: 'orders',
    group: 'orders',
    host: 'host',
    pid: 1,
    source: agent.sourceId,
    state: agent.state ?? 'ACTIVE',
    startedAt: clock.now(),
    version: '0.1.0',
    snapshot,
  });
}

/** A source as `checkpoint list` opens it: it only describes, and reads nothing itself. */
function describedSource(id: string, checkpointing: Checkpointing, partitions: readonly PartitionStatus[]) {
  return {
    id,
    uri: id,
    coordination: checkpointing === 'broker' ? 'broker' : 'leases',
    checkpointing,
    describe: async () => [...partitions],
  } as unknown as Source;
}

const QUEUE = 'orders-queue';
const reading = (owner: string): PartitionStatus => ({ partition: QUEUE, state: 'reading', owner });

describe('liveOwners: one answer to who reads a partition', () => {
  it('Given an agent consuming a queue the broker hands out (no lease), When owners are asked, Then it owns the queue', async () => {
    const clock = new FakeClock(1_800_000_000_000);
    const store = await givenAStore(clock);
    await heartbeat(store, clock, {
      id: 'orders@host#1',
      sourceId: 'amqp:orders',
      coordination: 'broker',
      partitions: [reading('orders@host#1')],
    });

    const owners = await liveOwners(store, 'orders', 'amqp:orders', { now: clock.now() });

    expect(owners.get(QUEUE)).toMatchObject({ agent: 'orders@host#1', partitionState: 'reading' });
  });

  it('Given the agent stopped or its heartbeat is older than 15 s, When owners are asked, Then nobody owns the queue', async () => {
    const clock = new FakeClock(1_800_000_000_000);
    const store = await givenAStore(clock);
    await heartbeat(store, clock, {
      id: 'orders@host#1',
      sourceId: 'amqp:orders',
      coordination: 'broker',
      partitions: [reading('orders@host#1')],
    });
    await heartbeat(store, clock, {
      id: 'orders@host#2',
      sourceId: 'amqp:orders',
      coordination: 'broker',
      state: 'SHUTDOWN',
      partitions: [reading('orders@host#2')],
    });
    clock.advance(15_001);

    expect((await liveOwners(store, 'orders', 'amqp:orders', { now: clock.now() })).size).toBe(0);
  });

  it('Given a partition split by leases, When a live agent only reports an owner in its snapshot, Then the lease decides: the live holder owns it, a dead holder does not', async () => {
    const clock = new FakeClock(1_800_000_000_000);
    const store = await givenAStore(clock);
    await store.leases.acquire({
      group: 'orders',
      source: 'local:events',
      partition: '0',
      owner: 'orders@host#1',
      ttlMs: 10_000,
    });
    await heartbeat(store, clock, {
      id: 'orders@host#1',
      sourceId: 'local:events',
      coordination: 'leases',
      partitions: [{ partition: '0', state: 'reading', owner: 'orders@host#1' }],
    });
    // Another agent's stale snapshot claims partition 1, which has a lease no one holds now.
    await store.leases.acquire({
      group: 'orders',
      source: 'local:events',
      partition: '1',
      owner: 'orders@host#2',
      ttlMs: 1_000,
    });
    await heartbeat(store, clock, {
      id: 'orders@host#2',
      sourceId: 'local:events',
      coordination: 'leases',
      partitions: [{ partition: '1', state: 'reading', owner: 'orders@host#2' }],
    });
    clock.advance(2_000);

    const owners = await liveOwners(store, 'orders', 'local:events', { now: clock.now() });

    expect(owners.get('0')?.agent).toBe('orders@host#1');
    expect(owners.has('1')).toBe(false);
  });
});

describe('checkpoint list and status agree', () => {
  it('Given an agent consuming a queue whose position the broker keeps, When checkpoint list and status are taken, Then both name it owner, reading, and checkpoint list shows no position but that the broker keeps it', async () => {
    const clock = new FakeClock(1_800_000_000_000);
    const store = await givenAStore(clock);
    await heartbeat(store, clock, {
      id: 'orders@host#1',
      sourceId: 'amqp:orders',
      coordination: 'broker',
      checkpointing: 'broker',
      partitions: [{ ...reading('orders@host#1'), committed: '1:5' }],
    });
    // `checkpoint list` opens its own source: unassigned, as it reads nothing.
    const source = describedSource('amqp:orders', 'broker', [{ partition: QUEUE, state: 'unassigned' }]);

    const rows = await listCheckpoints(store, { group: 'orders', source, clock });
    const status = await collectStatus(store, { group: 'orders', now: clock.now() });

    expect(rows).toEqual([
      {
        group: 'orders',
        source: 'amqp:orders',
        partition: QUEUE,
        keptBy: 'broker',
        owner: 'orders@host#1',
        state: 'reading',
      },
    ]);
    expect(status.partitions).toMatchObject([{ partition: QUEUE, owner: 'orders@host#1', state: 'reading' }]);
  });

  it('Given a lease holder that crashed (heartbeat older than its lease time to live), When both are taken, Then neither names it owner', async () => {
    const clock = new FakeClock(1_800_000_000_000);
    const store = await givenAStore(clock);
    await store.leases.acquire({
      group: 'orders',
      source: 'local:events',
      partition: '0',
      owner: 'orders@host#1',
      ttlMs: 10_000,
    });
    await heartbeat(store, clock, {
      id: 'orders@host#1',
      sourceId: 'local:events',
      coordination: 'leases',
      partitions: [{ partition: '0', state: 'reading', owner: 'orders@host#1' }],
    });
    await store.checkpoints.set([
      { group: 'orders', source: 'local:events', partition: '0', position: '7', owner: 'orders@host#1' },
    ]);
    clock.advance(11_000);
    const source = describedSource('local:events', 'store', [{ partition: '0', state: 'unassigned' }]);

    const rows = await listCheckpoints(store, { group: 'orders', source, clock });
    const status = await collectStatus(store, { group: 'orders', now: clock.now() });

    expect(rows[0]).toMatchObject({ position: '7', keptBy: 'store', state: 'unassigned' });
    expect(rows[0]?.owner).toBeUndefined();
    // Still heartbeating within 15 s, the agent is alive for status, yet no longer owns partition 0.
    expect(status.partitions).toHaveLength(1);
    expect(status.partitions[0]?.owner).toBeUndefined();
  });
});
