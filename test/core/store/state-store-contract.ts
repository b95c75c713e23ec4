import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isNotFoundError } from '../../../src/core/errors/not-found-error.js';
import { isUsageError } from '../../../src/core/errors/usage-error.js';
import type { Effort, PublishAttempt } from '../../../src/core/model/effort.js';
import type { RunRecord, StepRecord } from '../../../src/core/model/run-record.js';
import type { StatusSnapshot } from '../../../src/core/model/status-snapshot.js';
import { partitionForKey } from '../../../src/core/store/partition-for-key.js';
import type {
  CheckpointWrite,
  FailedFilter,
  Lease,
  NewFailedMessage,
} from '../../../src/core/store/records.js';
import type { AgentHeartbeat, StateStore } from '../../../src/core/store/state-store.js';

export interface StateStoreContractOptions {
  /**
   * Time to live of leases in the expiry tests, in real milliseconds (the store judges expiry by its own
   * clock, so the suite waits for real). Default 80 ms; raise it for a store across a slow network.
   */
  readonly leaseTtlMs?: number;
}

/** A fixed epoch for record times the caller supplies (store-side times come from the store's clock). */
export const T0 = 1_700_000_000_000;

let sequence = 0;
function unique(prefix: string): string {
  sequence += 1;
  return `${prefix}-${sequence}`;
}

export function aStep(overrides: Partial<StepRecord> = {}): StepRecord {
  return {
    name: 'reserve',
    state: 'succeeded',
    attempts: 1,
    startedAt: T0,
    finishedAt: T0 + 3,
    history: [{ attempt: 1, startedAt: T0, durationMs: 2.5 }],
    ...overrides,
  };
}

/** A run with every optional field absent unless given. */
export function aRun(overrides: Partial<RunRecord> = {}): RunRecord {
  const id = overrides.id ?? unique('run');
  return {
    id,
    group: 'orders',
    eventId: `evt-${id}`,
    eventType: 'order.created',
    rule: 'ship-order',
    process: 'shipping',
    state: 'succeeded',
    attempts: 1,
    steps: [aStep()],
    createdAt: T0,
    runner: 'inline',
    updatedAt: T0 + 10,
    ...overrides,
  };
}

/** A run as the journal sends to the ledger: succeeded, each step at its first attempt. */
export function aPlainSuccess(overrides: Partial<RunRecord> = {}): RunRecord {
  const startedAt = T0 + 10;
  return {
    id: unique('ledger'),
    group: 'agent',
    eventId: unique('evt'),
    eventType: 'submission.created',
    rule: 'classify-new',
    process: 'classify',
    state: 'succeeded',
    attempts: 2,
    steps: [
      {
        name: 'fetch',
        state: 'succeeded',
        attempts: 1,
        startedAt,
        finishedAt: startedAt + 3,
        history: [{ attempt: 1, startedAt, durationMs: 3 }],
      },
      {
        name: 'score',
        state: 'succeeded',
        attempts: 1,
        startedAt: startedAt + 3,
        finishedAt: startedAt + 5,
        history: [{ attempt: 1, startedAt: startedAt + 3, durationMs: 2 }],
      },
    ],
    createdAt: T0,
    startedAt,
    finishedAt: startedAt + 5,
    runner: 'inline',
    worker: 'agent@host#1',
    origin: { source: 'local:events', partition: '0', position: '7' },
    output: 'short',
    updatedAt: startedAt + 5,
    ...overrides,
  };
}

/** A run with every optional field set. */
export function aFullRun(overrides: Partial<RunRecord> = {}): RunRecord {
  return aRun({
    state: 'failed',
    currentStep: 'notify',
    attempts: 3,
    steps: [
      aStep(),
      aStep({
        name: 'notify',
        state: 'failed',
        attempts: 2,
        error: 'smtp 503',
        nextAttemptAt: T0 + 500,
        history: [
          { attempt: 1, startedAt: T0 + 3, durationMs: 1, error: 'smtp 503' },
          { attempt: 2, startedAt: T0 + 9, durationMs: 1, error: 'smtp 503', fatal: true },
        ],
      }),
    ],
    startedAt: T0 + 1,
    finishedAt: T0 + 12,
    error: 'smtp 503',
    fatal: true,
    worker: 'worker-7',
    origin: { source: 'local:orders', partition: '2', position: '41' },
    output: { shipped: false, ids: [1, 2, 3], note: null },
    ...overrides,
  });
}

function anAttempt(overrides: Partial<PublishAttempt> = {}): PublishAttempt {
  return { attempt: 1, at: T0 + 20, durationMs: 4, ok: true, ...overrides };
}

export function anEffort(overrides: Partial<Effort> = {}): Effort {
  const id = overrides.id ?? unique('effort');
  return {
    id,
    sink: 'webhook',
    recordId: `rec-${id}`,
    createdAt: T0,
    attempts: 1,
    retries: 0,
    history: [anAttempt()],
    culmination: 'delivered',
    updatedAt: T0 + 20,
    ...overrides,
  };
}

/** A message to park, with a unique key and every optional field absent unless given. */
export function aParked(overrides: Partial<NewFailedMessage> = {}): NewFailedMessage {
  const position = overrides.position ?? unique('pos');
  return {
    group: 'orders',
    source: 'local:orders',
    partition: '0',
    position,
    reason: 'process',
    kind: 'event',
    error: 'step "notify" failed: smtp 503',
    attempts: 1,
    raw: new TextEncoder().encode(`{"id":"${position}","type":"order.created"}`),
    timestamp: T0,
    failedAt: T0 + 100,
    key: `orders/local:orders/0/${position}/process`,
    ...overrides,
  };
}

export function aHeartbeat(overrides: Partial<AgentHeartbeat> = {}): AgentHeartbeat {
  return {
    id: overrides.id ?? unique('agent'),
    name: 'orders-agent',
    group: 'orders',
    host: 'host-1',
    pid: 4242,
    source: 'local:orders',
    state: 'ACTIVE',
    startedAt: T0,
    version: '0.1.0',
    ...overrides,
  };
}

function aSnapshot(agentId: string): StatusSnapshot {
  return {
    agentId,
    name: 'orders-agent',
    state: 'STEADY',
    stateSince: T0,
    startedAt: T0,
    takenAt: T0 + 1000,
    source: { uri: 'local:orders', id: 'orders' },
    counters: {
      read: 10,
      processed: 9,
      unmatched: 1,
      filtered: 0,
      parked: 1,
      skippedRuns: 0,
      runs: { pending: 0, running: 1, succeeded: 7, failed: 1 },
      stepAttempts: 12,
      stepRetries: 3,
      publishAttempts: 8,
      publishRetries: 1,
      delivered: 7,
      publishGiveUps: 0,
      commits: 2,
      done: 9,
    },
    throughput: { perSecond: 1234.5, history: [1, 2, 3] },
    errorRate: 0.25,
    partitions: [
      { partition: '0', state: 'reading', committed: '41', lagRecords: 3, detail: { parents: 'a,b' } },
    ],
    sinks: [{ name: 'webhook', enabled: false, since: T0, consecutiveFailures: 4, retryAt: T0 + 30_000 }],
    runner: { kind: 'inline', inFlight: 0, concurrency: 1 },
    inFlight: 2,
  };
}

const EMPTY = { runs: [], ledger: [], efforts: [], parked: [] } as const;
const bytes = (text: string) => new TextEncoder().encode(text);
const text = (value: Uint8Array) => new TextDecoder().decode(value);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** True when `value` is within a minute of the wall clock: store-side times come from the store's clock. */
function isNow(value: number): boolean {
  return Math.abs(value - Date.now()) < 60_000;
}

/**
 * The behaviour every `StateStore` adapter must have. `open` returns a fresh, empty store for each test;
 * the suite closes it afterwards. Only the port is used, so any adapter can run it.
 */
export function stateStoreContract(
  name: string,
  open: () => Promise<StateStore>,
  options: StateStoreContractOptions = {},
): void {
  const ttl = options.leaseTtlMs ?? 80;

  describe(`${name} (StateStore contract)`, () => {
    let store: StateStore;

    beforeEach(async () => {
      store = await open();
    });

    afterEach(async () => {
      await store.close();
    });

    async function lease(partition = '0', owner = 'agent-a', ttlMs = 10_000): Promise<Lease> {
      const held = await store.leases.acquire({ group: 'orders', source: 'src', partition, owner, ttlMs });
      expect(held).toBeDefined();
      return held!;
    }

    describe('the store itself', () => {
      it('Given a store, Then it names its kind and location, And closing it twice is harmless', async () => {
        expect(['sqlite', 'postgres']).toContain(store.kind);
        expect(store.location.length).toBeGreaterThan(0);
        const other = await open();
        await other.close();
        await expect(other.close()).resolves.toBeUndefined();
      });
    });

    describe('flush', () => {
      it('Given runs, efforts, parked messages and checkpoints, When flushed, Then all of them read back', async () => {
        const run = aFullRun();
        const effort = anEffort({ runId: run.id });
        const parked = aParked();
        const write: CheckpointWrite = { group: 'orders', source: 'src', partition: '0', position: '41' };

        const result = await store.flush({ runs: [run], ledger: [], efforts: [effort], parked: [parked] }, [
          write,
        ]);

        expect(result.rejected).toEqual([]);
        expect(await store.runs.get(run.id)).toEqual(run);
        expect(await store.efforts.get(effort.id)).toEqual(effort);
        const [item] = await store.failed.list();
        expect(item).toMatchObject({ key: parked.key, status: 'pending', attempts: 1 });
        expect((await store.checkpoints.get('orders', 'src')).get('0')?.position).toBe('41');
      });

      it('Given an empty batch and no checkpoints, When flushed, Then nothing is rejected', async () => {
        await expect(store.flush(EMPTY)).resolves.toEqual({ rejected: [] });
      });

      it('Given a run flushed twice with changes, Then one run remains, in its latest state', async () => {
        const run = aRun({ state: 'running', currentStep: 'reserve' });
        await store.flush({ ...EMPTY, runs: [run] });
        const done = aRun({ ...run, state: 'succeeded', attempts: 2, updatedAt: T0 + 99 });
        delete done.currentStep;

        await store.flush({ ...EMPTY, runs: [done] });

        expect(await store.runs.get(run.id)).toEqual(done);
        expect(await store.runs.list()).toHaveLength(1);
      });

      it('Given an effort flushed twice, Then one effort remains, in its latest state', async () => {
        const effort = anEffort({ culmination: 'pending', attempts: 1, nextAttemptAt: T0 + 50 });
        await store.flush({ ...EMPTY, efforts: [effort] });
        const last = anAttempt({ attempt: 2, at: T0 + 60 });
        const delivered = anEffort({
          ...effort,
          attempts: 2,
          retries: 1,
          initialAttempt: anAttempt({ ok: false, error: 'timeout' }),
          finalAttempt: last,
          history: [anAttempt({ ok: false, error: 'timeout' }), last],
          culmination: 'delivered',
          updatedAt: T0 + 61,
        });
        delete delivered.nextAttemptAt;

        await store.flush({ ...EMPTY, efforts: [delivered] });

        expect(await store.efforts.get(effort.id)).toEqual(delivered);
        expect(await store.efforts.list()).toHaveLength(1);
      });

      it('Given a parked key parked again, Then the item is updated: attempts added, history extended, pending again', async () => {
        const first = aParked({ attempts: 2, failedAt: T0 + 100, error: 'boom 1' });
        await store.flush({ ...EMPTY, parked: [first] });
        const [item] = await store.failed.list();
        await store.failed.setStatus([item!.id], 'discarded');

        await store.flush({
          ...EMPTY,
          parked: [
            { ...first, attempts: 3, failedAt: T0 + 200, error: 'boom 2', errorName: 'TransientError' },
          ],
        });

        const items = await store.failed.list({ status: 'any' });
        expect(items).toHaveLength(1);
        expect(items[0]).toMatchObject({
          id: item!.id,
          status: 'pending',
          attempts: 5,
          error: 'boom 2',
          errorName: 'TransientError',
          firstFailedAt: T0 + 100,
          lastFailedAt: T0 + 200,
          history: [
            { at: T0 + 100, error: 'boom 1', via: 'consume' },
            { at: T0 + 200, error: 'boom 2', via: 'consume' },
          ],
        });
      });

      it('Given a message parked by a worker, Then its history says so (consume when unsaid)', async () => {
        const parked = aParked({ via: 'worker', failedAt: T0 + 7 });
        await store.flush({ ...EMPTY, parked: [parked] });
        const [item] = await store.failed.list();
        expect(item!.history).toEqual([{ at: T0 + 7, error: parked.error, via: 'worker' }]);
        expect('via' in item!).toBe(false);
      });

      it('Given the same key twice in one batch, Then one item results', async () => {
        const parked = aParked();
        await store.flush({ ...EMPTY, parked: [parked, { ...parked, failedAt: T0 + 300 }] });
        const items = await store.failed.list();
        expect(items).toHaveLength(1);
        expect(items[0]!.attempts).toBe(2);
        expect(items[0]!.history).toHaveLength(2);
      });

      it('Given a held lease, When a checkpoint is flushed with its fence, Then it is written with the owner', async () => {
        const held = await lease('0');
        const write: CheckpointWrite = {
          group: 'orders',
          source: 'src',
          partition: '0',
          position: '7',
          fence: { owner: held.owner, counter: held.counter },
        };

        expect(await store.flush(EMPTY, [write])).toEqual({ rejected: [] });

        const checkpoint = (await store.checkpoints.get('orders', 'src')).get('0');
        expect(checkpoint).toMatchObject({ position: '7', owner: 'agent-a' });
      });

      it('Given fences that do not hold, When flushed, Then exactly those writes are rejected and the rest written', async () => {
        const held = await lease('0');
        const base = { group: 'orders', source: 'src', position: '9' } as const;
        const wrongCounter = {
          ...base,
          partition: '0',
          fence: { owner: held.owner, counter: held.counter + 1 },
        };
        const wrongOwner = { ...base, partition: '0', fence: { owner: 'agent-b', counter: held.counter } };
        const noLease = { ...base, partition: '5', fence: { owner: 'agent-a', counter: 1 } };
        const unfenced = { ...base, partition: '6', owner: 'operator' };
        const run = aRun();

        const result = await store.flush({ ...EMPTY, runs: [run] }, [
          wrongCounter,
          wrongOwner,
          noLease,
          unfenced,
        ]);

        expect(result.rejected).toEqual([wrongCounter, wrongOwner, noLease]);
        const checkpoints = await store.checkpoints.get('orders', 'src');
        expect([...checkpoints.keys()]).toEqual(['6']);
        expect(checkpoints.get('6')).toMatchObject({ position: '9', owner: 'operator' });
        expect(await store.runs.get(run.id)).toEqual(run);
      });

      it('Given a lease that expired, When its owner flushes a fenced checkpoint, Then it is rejected', async () => {
        const held = await lease('0', 'agent-a', ttl);
        await sleep(ttl * 2);
        const write = {
          group: 'orders',
          source: 'src',
          partition: '0',
          position: '3',
          fence: { owner: held.owner, counter: held.counter },
        };

        expect((await store.flush(EMPTY, [write])).rejected).toEqual([write]);
        expect((await store.checkpoints.get('orders', 'src')).size).toBe(0);
      });
    });

    describe('checkpoints', () => {
      async function seed(): Promise<void> {
        await store.checkpoints.set([
          { group: 'orders', source: 'src', partition: '0', position: '10' },
          { group: 'orders', source: 'src', partition: '1', position: '11', owner: 'agent-a' },
          { group: 'orders', source: 'other', partition: '0', position: '12' },
          { group: 'billing', source: 'src', partition: '0', position: '13' },
        ]);
      }

      it('Given checkpoints, When got for a group and source, Then all or only the asked partitions come back', async () => {
        await seed();

        const all = await store.checkpoints.get('orders', 'src');
        expect([...all.keys()].sort()).toEqual(['0', '1']);
        const one = all.get('1')!;
        expect(one).toMatchObject({ group: 'orders', source: 'src', partition: '1', position: '11' });
        expect(one.owner).toBe('agent-a');
        expect(isNow(one.updatedAt)).toBe(true);
        expect('owner' in all.get('0')!).toBe(false);

        const some = await store.checkpoints.get('orders', 'src', ['1', '9']);
        expect([...some.keys()]).toEqual(['1']);
        expect((await store.checkpoints.get('orders', 'src', [])).size).toBe(0);
      });

      it('Given checkpoints, When listed with and without a filter, Then the filter selects group and source', async () => {
        await seed();

        expect(await store.checkpoints.list()).toHaveLength(4);
        expect((await store.checkpoints.list({ group: 'orders' })).map((c) => c.position).sort()).toEqual([
          '10',
          '11',
          '12',
        ]);
        expect((await store.checkpoints.list({ source: 'src' })).map((c) => c.position).sort()).toEqual([
          '10',
          '11',
          '13',
        ]);
        expect(
          (await store.checkpoints.list({ group: 'orders', source: 'other' })).map((c) => c.position),
        ).toEqual(['12']);
      });

      it('Given a checkpoint, When set again, Then it moves (also backwards: an operator may rewind)', async () => {
        await seed();
        await store.checkpoints.set([{ group: 'orders', source: 'src', partition: '0', position: '3' }]);
        expect((await store.checkpoints.get('orders', 'src')).get('0')?.position).toBe('3');
      });

      it('Given a fenced set whose lease is held by another, Then it is rejected and nothing moves', async () => {
        await seed();
        const held = await lease('0', 'agent-a');
        const stale = {
          group: 'orders',
          source: 'src',
          partition: '0',
          position: '99',
          fence: { owner: 'agent-b', counter: held.counter },
        };

        expect((await store.checkpoints.set([stale])).rejected).toEqual([stale]);
        expect((await store.checkpoints.get('orders', 'src')).get('0')?.position).toBe('10');
      });

      it('Given checkpoints, When some partitions and then all are deleted, Then the counts are returned', async () => {
        await seed();

        expect(await store.checkpoints.delete('orders', 'src', ['1', '7'])).toBe(1);
        expect([...(await store.checkpoints.get('orders', 'src')).keys()]).toEqual(['0']);
        expect(await store.checkpoints.delete('orders', 'src')).toBe(1);
        expect(await store.checkpoints.delete('orders', 'src')).toBe(0);
        expect(await store.checkpoints.list()).toHaveLength(2);
      });
    });

    describe('leases', () => {
      const request = (owner: string, partition = '0', ttlMs = 10_000) => ({
        group: 'orders',
        source: 'src',
        partition,
        owner,
        ttlMs,
      });

      it('Given a free partition, When acquired, Then the lease has counter 1 and expires after the ttl', async () => {
        const held = await store.leases.acquire(request('agent-a', '0', 5_000));

        expect(held).toMatchObject({
          group: 'orders',
          source: 'src',
          partition: '0',
          owner: 'agent-a',
          counter: 1,
        });
        expect(held!.acquiredAt).toBe(held!.renewedAt);
        expect(held!.expiresAt - held!.acquiredAt).toBe(5_000);
        expect(isNow(held!.acquiredAt)).toBe(true);
      });

      it('Given a lease held by another, When acquired, Then it is refused', async () => {
        await store.leases.acquire(request('agent-a'));
        expect(await store.leases.acquire(request('agent-b'))).toBeUndefined();
      });

      it('Given an unexpired lease whose holder is known dead, When acquired taking it from that holder and counter, Then it is taken at once with a new counter and the old holder is fenced out', async () => {
        const dead = await store.leases.acquire(request('agent-a', '0', 60_000));
        const stale = { owner: dead!.owner, counter: dead!.counter + 1 };
        expect(await store.leases.acquire({ ...request('agent-b'), takeFrom: stale })).toBeUndefined();

        const taken = await store.leases.acquire({
          ...request('agent-b'),
          takeFrom: { owner: 'agent-a', counter: dead!.counter },
        });

        expect(taken).toMatchObject({ owner: 'agent-b', counter: dead!.counter + 1 });
        expect(await store.leases.renew(dead!, 60_000)).toBeUndefined();
        const zombie: CheckpointWrite = {
          group: 'orders',
          source: 'src',
          partition: '0',
          position: '9',
          fence: { owner: 'agent-a', counter: dead!.counter },
        };
        expect((await store.flush(EMPTY, [zombie])).rejected).toHaveLength(1);
      });

      it('Given a lease held by the same owner, When acquired again, Then it is renewed with the same counter', async () => {
        const first = await store.leases.acquire(request('agent-a', '0', 1_000));
        const again = await store.leases.acquire(request('agent-a', '0', 60_000));

        expect(again).toMatchObject({
          owner: 'agent-a',
          counter: first!.counter,
          acquiredAt: first!.acquiredAt,
        });
        expect(again!.expiresAt).toBeGreaterThan(first!.expiresAt);
      });

      it('Given an expired lease, When another owner acquires it, Then it is taken and the counter increases', async () => {
        const first = await store.leases.acquire(request('agent-a', '0', ttl));
        expect(await store.leases.acquire(request('agent-b', '0', ttl))).toBeUndefined();
        await sleep(ttl * 2);

        const taken = await store.leases.acquire(request('agent-b', '0', ttl));

        expect(taken).toMatchObject({ owner: 'agent-b', counter: first!.counter + 1 });
        expect(await store.leases.renew(first!, ttl)).toBeUndefined();
      });

      it('Given a released lease, Then it keeps its counter, and the next owner gets counter + 1', async () => {
        const held = await store.leases.acquire(request('agent-a'));
        await store.leases.release(held!);

        const [released] = await store.leases.list('orders', 'src');
        expect(released).toMatchObject({ owner: '', counter: held!.counter });
        expect(released!.expiresAt).toBeLessThanOrEqual(Date.now());

        const next = await store.leases.acquire(request('agent-b'));
        expect(next).toMatchObject({ owner: 'agent-b', counter: held!.counter + 1 });
      });

      it('Given a stale lease value, When released, Then the current holder keeps the lease', async () => {
        const first = await store.leases.acquire(request('agent-a', '0', ttl));
        await sleep(ttl * 2);
        const second = await store.leases.acquire(request('agent-b', '0'));

        await store.leases.release(first!);

        expect((await store.leases.list('orders', 'src'))[0]).toMatchObject({
          owner: 'agent-b',
          counter: second!.counter,
        });
      });

      it('Given a held lease, When renewed, Then its expiry moves and its counter stays', async () => {
        const held = await store.leases.acquire(request('agent-a', '0', 1_000));

        const renewed = await store.leases.renew(held!, 30_000);

        expect(renewed).toMatchObject({
          owner: 'agent-a',
          counter: held!.counter,
          acquiredAt: held!.acquiredAt,
        });
        expect(renewed!.expiresAt).toBeGreaterThan(held!.expiresAt);
        expect(renewed!.expiresAt - renewed!.renewedAt).toBe(30_000);
      });

      it('Given a lease that expired but was not taken, When its owner renews it, Then it is renewed (no one else wrote)', async () => {
        const held = await store.leases.acquire(request('agent-a', '0', ttl));
        await sleep(ttl * 2);

        const renewed = await store.leases.renew(held!, 10_000);

        expect(renewed).toMatchObject({ owner: 'agent-a', counter: held!.counter });
        expect(await store.leases.acquire(request('agent-b'))).toBeUndefined();
      });

      it('Given a released lease or a wrong counter, When renewed, Then it is lost', async () => {
        const held = await store.leases.acquire(request('agent-a'));
        expect(await store.leases.renew({ ...held!, counter: held!.counter + 1 }, 1_000)).toBeUndefined();
        await store.leases.release(held!);
        expect(await store.leases.renew(held!, 1_000)).toBeUndefined();
      });

      it('Given leases of several sources, When listed, Then only the asked group and source come back, by partition', async () => {
        await store.leases.acquire(request('agent-a', '1'));
        await store.leases.acquire(request('agent-b', '0'));
        await store.leases.acquire({ ...request('agent-c', '0'), source: 'other' });

        const leases = await store.leases.list('orders', 'src');

        expect(leases.map((l) => [l.partition, l.owner])).toEqual([
          ['0', 'agent-b'],
          ['1', 'agent-a'],
        ]);
        expect(await store.leases.list('nobody', 'src')).toEqual([]);
      });

      it('Given many owners racing for one partition, Then exactly one gets it', async () => {
        const owners = Array.from({ length: 8 }, (_, i) => `agent-${i}`);
        const results = await Promise.all(owners.map((owner) => store.leases.acquire(request(owner))));
        expect(results.filter((r) => r !== undefined)).toHaveLength(1);
      });

      it('Given an empty owner or a ttl of 0, When acquiring, Then it is a usage error', async () => {
        await expect(store.leases.acquire(request(''))).rejects.toSatisfy(isUsageError);
        await expect(store.leases.acquire(request('agent-a', '0', 0))).rejects.toSatisfy(isUsageError);
      });
    });

    describe('failed store', () => {
      async function park(...messages: NewFailedMessage[]): Promise<number[]> {
        await store.flush({ ...EMPTY, parked: messages });
        const all = await store.failed.list({ status: 'any' });
        return messages.map((m) => all.find((item) => item.key === m.key)!.id);
      }

      it('Given a parked message with every field, When read, Then every field round-trips', async () => {
        const message = aParked({
          errorName: 'FatalError',
          rule: 'ship-order',
          process: 'shipping',
          runId: 'run-1',
          sink: 'webhook',
          sinkRef: 'publisher.sink',
          eventId: 'evt-1',
          eventType: 'order.created',
          attempts: 4,
          raw: new Uint8Array([0, 255, 1, 128, 10, 13]),
        });
        const [id] = await park(message);

        const item = await store.failed.get(id!);

        const { failedAt, via: _, ...fields } = message;
        expect(item).toMatchObject({
          ...fields,
          raw: expect.anything(),
          id,
          status: 'pending',
          firstFailedAt: failedAt,
          lastFailedAt: failedAt,
          history: [{ at: failedAt, error: message.error, via: 'consume' }],
        });
        expect([...item!.raw]).toEqual([...message.raw]);
        expect('replayedAt' in item!).toBe(false);
      });

      it('Given a parked message without optional fields, When read, Then they stay absent', async () => {
        const [id] = await park(aParked());
        const item = await store.failed.get(id!);
        for (const field of [
          'errorName',
          'rule',
          'process',
          'runId',
          'sink',
          'sinkRef',
          'eventId',
          'eventType',
        ]) {
          expect(field in item!).toBe(false);
        }
        expect(await store.failed.get(id! + 1000)).toBeUndefined();
      });

      it('Given items of several statuses, When listed without a status, Then only pending ones come, by id', async () => {
        const ids = await park(aParked(), aParked(), aParked(), aParked());
        await store.failed.setStatus([ids[1]!], 'replayed');
        await store.failed.setStatus([ids[2]!], 'discarded');

        expect((await store.failed.list()).map((m) => m.id)).toEqual([ids[0], ids[3]]);
        expect((await store.failed.list({ status: 'replayed' })).map((m) => m.id)).toEqual([ids[1]]);
        expect((await store.failed.list({ status: 'any' })).map((m) => m.id)).toEqual(ids);
      });

      it('Given varied items, When filtered by group, reason, rule, since and ids, Then each filter selects', async () => {
        const ids = await park(
          aParked({ group: 'billing' }),
          aParked({ reason: 'decode', kind: 'event' }),
          aParked({ rule: 'ship-order', reason: 'rule' }),
          aParked({ failedAt: T0 + 5_000 }),
        );

        expect((await store.failed.list({ group: 'billing' })).map((m) => m.id)).toEqual([ids[0]]);
        expect((await store.failed.list({ reason: 'decode' })).map((m) => m.id)).toEqual([ids[1]]);
        expect((await store.failed.list({ rule: 'ship-order' })).map((m) => m.id)).toEqual([ids[2]]);
        expect((await store.failed.list({ since: T0 + 1_000 })).map((m) => m.id)).toEqual([ids[3]]);
        expect((await store.failed.list({ ids: [ids[3]!, ids[0]!, 9_999_999] })).map((m) => m.id)).toEqual([
          ids[0],
          ids[3],
        ]);
        expect(await store.failed.list({ ids: [] })).toEqual([]);
        expect(await store.failed.list({ group: 'orders', reason: 'decode', rule: 'ship-order' })).toEqual(
          [],
        );
      });

      it('Given items, When searched, Then the match ignores case and covers error, event type, event id and payload', async () => {
        const ids = await park(
          aParked({ error: 'Connection REFUSED by sink' }),
          aParked({ eventType: 'Invoice.Paid' }),
          aParked({ eventId: 'EVT-Ünïcode-42' }),
          aParked({ raw: bytes('{"customer":"Ada Lovelace"}') }),
          aParked(),
        );

        const search = async (term: string) => (await store.failed.list({ search: term })).map((m) => m.id);
        expect(await search('connection refused')).toEqual([ids[0]]);
        expect(await search('INVOICE.paid')).toEqual([ids[1]]);
        expect(await search('evt-ünïcode')).toEqual([ids[2]]);
        expect(await search('ada lovelace')).toEqual([ids[3]]);
        expect(await search('nothing like it')).toEqual([]);
      });

      it('Given items, When searched with text that is query syntax elsewhere, Then it is plain text and never fails', async () => {
        const ids = await park(
          aParked({ error: 'sink said: "no" - retry later (AND NEAR*)' }),
          aParked({ raw: bytes('{"route":"a->b","note":"50% off"}') }),
          aParked(),
        );

        const search = async (term: string) => (await store.failed.list({ search: term })).map((m) => m.id);
        expect(await search('said: "no" - retry')).toEqual([ids[0]]);
        expect(await search('(AND NEAR')).toEqual([ids[0]]);
        expect(await search('->')).toEqual([ids[1]]);
        expect(await search('NEAR(a b)')).toEqual([]);
        expect(await search('-:*^')).toEqual([]);
      });

      it('Given matching items, When a search is paged with limit and afterId and combined with status, Then pages follow in id order', async () => {
        const ids = await park(...Array.from({ length: 7 }, () => aParked({ error: 'gateway timeout' })));
        await park(aParked({ error: 'bad request' }));
        await store.failed.setStatus([ids[6]!], 'discarded');

        const first = await store.failed.list({ search: 'timeout', limit: 3 });
        const second = await store.failed.list({ search: 'timeout', limit: 3, afterId: first.at(-1)!.id });
        const rest = await store.failed.list({ search: 'timeout', limit: 3, afterId: second.at(-1)!.id });

        expect([...first, ...second, ...rest].map((m) => m.id)).toEqual(ids.slice(0, 6));
        expect(await store.failed.count({ search: 'timeout' })).toBe(6);
        expect(await store.failed.count({ search: 'timeout', status: 'any' })).toBe(7);
        expect(
          (await store.failed.list({ search: 'timeout', status: 'discarded' })).map((m) => m.id),
        ).toEqual([ids[6]]);
      });

      it('Given a parked item, When it fails again or is pruned, Then the search follows its current error and forgets it once gone', async () => {
        const [id] = await park(aParked({ error: 'first failure: smtp 503' }));

        await store.failed.recordFailure(id!, {
          at: T0 + 5,
          error: 'second failure: dns lookup',
          via: 'replay',
        });
        expect(await store.failed.count({ search: 'dns lookup' })).toBe(1);
        expect(await store.failed.count({ search: 'smtp 503' })).toBe(0);

        await store.failed.setStatus([id!], 'discarded');
        expect(await store.failed.prune(Date.now() + 60_000)).toBe(1);
        expect(await store.failed.count({ search: 'dns lookup', status: 'any' })).toBe(0);
      });

      it('Given many items, When listed with limit and afterId, Then pages follow in id order', async () => {
        const ids = await park(...Array.from({ length: 7 }, () => aParked()));

        const first = await store.failed.list({ limit: 3 });
        const second = await store.failed.list({ limit: 3, afterId: first.at(-1)!.id });
        const last = await store.failed.list({ limit: 3, afterId: second.at(-1)!.id });

        expect([...first, ...second, ...last].map((m) => m.id)).toEqual(ids);
        expect(last).toHaveLength(1);
      });

      it('Given items, When counted with a filter, Then the count ignores limit', async () => {
        await park(aParked(), aParked(), aParked({ reason: 'decode' }));
        expect(await store.failed.count()).toBe(3);
        expect(await store.failed.count({ reason: 'process', limit: 1 })).toBe(2);
        expect(await store.failed.count({ status: 'discarded' })).toBe(0);
      });

      it('Given pending and handled items of two groups, Then countByReason counts pending ones by reason', async () => {
        const ids = await park(
          aParked({ reason: 'decode' }),
          aParked({ reason: 'decode' }),
          aParked({ reason: 'publish' }),
          aParked({ reason: 'publish', group: 'billing' }),
          aParked({ reason: 'rule' }),
        );
        await store.failed.setStatus([ids[4]!], 'discarded');

        expect(await store.failed.countByReason()).toEqual({ decode: 2, publish: 2 });
        expect(await store.failed.countByReason('orders')).toEqual({ decode: 2, publish: 1 });
        expect(await store.failed.countByReason('nobody')).toEqual({});
      });

      it('Given items, When their status is set, Then only real changes count and replayed items get replayedAt', async () => {
        const ids = await park(aParked(), aParked(), aParked());

        expect(await store.failed.setStatus([ids[0]!, ids[1]!, 9_999_999], 'replayed')).toBe(2);
        expect(await store.failed.setStatus([ids[0]!], 'replayed')).toBe(0);
        expect(await store.failed.setStatus([], 'discarded')).toBe(0);

        const replayed = await store.failed.get(ids[0]!);
        expect(replayed!.status).toBe('replayed');
        expect(isNow(replayed!.replayedAt!)).toBe(true);
        expect((await store.failed.get(ids[2]!))!.status).toBe('pending');
      });

      it('Given an item, When a failed replay is recorded, Then attempts grow by one and the history grows', async () => {
        const [id] = await park(aParked({ attempts: 2 }));

        await store.failed.recordFailure(id!, { at: T0 + 900, error: 'still down', via: 'replay' });

        const item = await store.failed.get(id!);
        expect(item).toMatchObject({ attempts: 3, lastFailedAt: T0 + 900, error: 'still down' });
        expect(item!.history.at(-1)).toEqual({ at: T0 + 900, error: 'still down', via: 'replay' });
        expect(item!.history).toHaveLength(2);
      });

      it('Given a pending item, When its redrive is marked, Then it is replayed with the redrive in its history, once', async () => {
        const [id] = await park(aParked({ attempts: 2, recordKey: 'k-1', headers: { tenant: 'acme' } }));
        const entry = {
          at: T0 + 900,
          error: '',
          via: 'redrive',
          to: 'kinesis://orders partition key k-1 (redrive 1)',
        };

        expect(await store.failed.markRedriven(id!, entry)).toBe(true);
        expect(await store.failed.markRedriven(id!, { ...entry, at: T0 + 950 })).toBe(false);

        const item = await store.failed.get(id!);
        expect(item).toMatchObject({
          status: 'replayed',
          attempts: 2,
          recordKey: 'k-1',
          headers: { tenant: 'acme' },
        });
        expect(item!.replayedAt).toBeDefined();
        expect(item!.history).toHaveLength(2);
        expect(item!.history.at(-1)).toEqual(entry);
        expect(await store.failed.markRedriven(424_242, entry)).toBe(false);
      });

      it('Given no item with an id, When a failure is recorded for it, Then it is a not-found error', async () => {
        await expect(
          store.failed.recordFailure(424_242, { at: T0, error: 'x', via: 'replay' }),
        ).rejects.toSatisfy(isNotFoundError);
      });

      it('Given a pending item, When it is edited, Then its bytes change, the replaced bytes are in its history and nothing else moves', async () => {
        const original = aParked({ attempts: 2, eventId: 'evt-old', eventType: 'order.created' });
        const [id] = await park(original);
        const edited = new TextEncoder().encode('{"id":"evt-new","type":"order.fixed"}');
        const entry = {
          at: T0 + 500,
          error: 'edited',
          via: 'edit',
          by: 'ops@host',
          previousBase64: Buffer.from(original.raw).toString('base64'),
        };

        expect(
          await store.failed.edit(id!, original.raw, {
            raw: edited,
            eventId: 'evt-new',
            eventType: 'order.fixed',
            entry,
          }),
        ).toBe(true);

        const item = await store.failed.get(id!);
        expect(Buffer.from(item!.raw).toString()).toBe('{"id":"evt-new","type":"order.fixed"}');
        expect(item).toMatchObject({
          attempts: 2,
          status: 'pending',
          eventId: 'evt-new',
          eventType: 'order.fixed',
          error: original.error,
          lastFailedAt: original.failedAt,
        });
        expect(item!.history).toHaveLength(2);
        expect(item!.history[1]).toEqual(entry);
      });

      it('Given an item edited meanwhile, not pending, or gone, When an edit expects its old bytes, Then nothing changes', async () => {
        const first = aParked();
        const [changed, discarded] = await park(first, aParked());
        const edit = (raw: string) => ({
          raw: new TextEncoder().encode(raw),
          entry: { at: T0, error: 'edited', via: 'edit' },
        });
        await store.failed.edit(changed!, first.raw, edit('{"v":1}'));
        await store.failed.setStatus([discarded!], 'discarded');

        expect(await store.failed.edit(changed!, first.raw, edit('{"v":2}'))).toBe(false);
        const before = await store.failed.get(discarded!);
        expect(await store.failed.edit(discarded!, before!.raw, edit('{"v":3}'))).toBe(false);
        expect(await store.failed.edit(424_242, first.raw, edit('{"v":4}'))).toBe(false);

        expect(Buffer.from((await store.failed.get(changed!))!.raw).toString()).toBe('{"v":1}');
        expect((await store.failed.get(discarded!))!.history).toHaveLength(1);
      });

      it('Given a replay page, When its outcomes are flushed with its parkings, Then all of it is written at once', async () => {
        const [replayed, failedAgain] = await park(aParked(), aParked({ attempts: 2 }));
        const again = aParked({ reason: 'decode' });

        await store.flush({
          ...EMPTY,
          parked: [again],
          replayed: [replayed!],
          refailed: [
            { id: failedAgain!, attempt: { at: T0 + 900, error: 'still down', via: 'replay' } },
            { id: failedAgain!, attempt: { at: T0 + 950, error: 'down again', via: 'replay' } },
            { id: 424_242, attempt: { at: T0, error: 'gone', via: 'replay' } },
          ],
        });

        expect(await store.failed.get(replayed!)).toMatchObject({ status: 'replayed' });
        const refailed = await store.failed.get(failedAgain!);
        expect(refailed).toMatchObject({
          status: 'pending',
          attempts: 4,
          lastFailedAt: T0 + 950,
          error: 'down again',
        });
        expect(refailed!.history.slice(-2).map((a) => a.error)).toEqual(['still down', 'down again']);
        expect((await store.failed.list({ reason: 'decode' })).map((i) => i.key)).toEqual([again.key]);
      });

      it('Given items, When iterated in small pages, Then every matching item comes once, in id order', async () => {
        const ids = await park(
          ...Array.from({ length: 10 }, (_, i) => aParked({ reason: i % 2 ? 'decode' : 'rule' })),
        );

        const seen: number[] = [];
        for await (const item of store.failed.iterate({ reason: 'decode' }, 2)) seen.push(item.id);
        expect(seen).toEqual(ids.filter((_, i) => i % 2));

        const capped: number[] = [];
        for await (const item of store.failed.iterate({ limit: 5 }, 3)) capped.push(item.id);
        expect(capped).toEqual(ids.slice(0, 5));

        const after: number[] = [];
        for await (const item of store.failed.iterate({ afterId: ids[7]! })) after.push(item.id);
        expect(after).toEqual(ids.slice(8));
      });

      it('Given items with every field and with none, When iterated for a replay, Then each brings exactly the fields a replay uses, in id order and pages', async () => {
        const full = aParked({
          kind: 'record',
          reason: 'publish',
          runId: 'run-7',
          sink: 'local:results',
          sinkRef: 'publisher.sink',
          recordKey: 'sub-7',
          headers: { 'x-trace': 'abc' },
          raw: new Uint8Array([0, 255, 7]),
        });
        const bare = aParked({ reason: 'decode' });
        const other = aParked({ reason: 'rule' });
        const ids = await park(full, bare, other);

        const items = [];
        for await (const item of store.failed.iterateReplayable({ reason: 'publish' }, 1)) items.push(item);
        for await (const item of store.failed.iterateReplayable({ ids: [ids[1]!, ids[2]!] }, 1))
          items.push(item);

        expect(items.map((i) => i.id)).toEqual(ids);
        const [first, second] = items;
        expect({ ...first, raw: [...first!.raw] }).toEqual({
          id: ids[0],
          key: full.key,
          source: full.source,
          partition: full.partition,
          position: full.position,
          reason: 'publish',
          kind: 'record',
          runId: 'run-7',
          sink: 'local:results',
          sinkRef: 'publisher.sink',
          recordKey: 'sub-7',
          headers: { 'x-trace': 'abc' },
          raw: [0, 255, 7],
          timestamp: full.timestamp,
        });
        expect(Object.keys(second!).sort()).toEqual(
          ['id', 'key', 'source', 'partition', 'position', 'reason', 'kind', 'raw', 'timestamp'].sort(),
        );
        const capped = [];
        for await (const item of store.failed.iterateReplayable({ status: 'any', limit: 2 }, 5))
          capped.push(item.id);
        expect(capped).toEqual(ids.slice(0, 2));
      });

      it('Given five items, When read for a replay a page at a time, Then each step is one non-empty page of at most the page size, in id order, capped by the limit', async () => {
        const ids = await park(aParked(), aParked(), aParked(), aParked(), aParked());
        const pagesOf = async (filter: FailedFilter, pageSize: number) => {
          const pages: number[][] = [];
          for await (const page of store.failed.replayablePages(filter, pageSize))
            pages.push(page.map((item) => item.id));
          return pages;
        };

        expect(await pagesOf({}, 2)).toEqual([ids.slice(0, 2), ids.slice(2, 4), ids.slice(4)]);
        // A full last page is followed by no empty one.
        expect(await pagesOf({}, 5)).toEqual([ids]);
        expect(await pagesOf({ limit: 3 }, 2)).toEqual([ids.slice(0, 2), ids.slice(2, 3)]);
        expect(await pagesOf({ afterId: ids[4]! }, 2)).toEqual([]);
        // The same items, field for field, as the item-at-a-time reading.
        const paged = [];
        for await (const page of store.failed.replayablePages({}, 2)) paged.push(...page);
        const single = [];
        for await (const item of store.failed.iterateReplayable({}, 2)) single.push(item);
        expect(paged).toEqual(single);
      });
    });

    describe('runs', () => {
      it('Given runs with every optional field and with none, When read, Then each round-trips exactly', async () => {
        const full = aFullRun();
        const bare = aRun();
        await store.runs.upsert([full, bare]);

        expect(await store.runs.get(full.id)).toEqual(full);
        const read = await store.runs.get(bare.id);
        expect(read).toEqual(bare);
        expect(Object.keys(read!).sort()).toEqual(Object.keys(bare).sort());
        expect(await store.runs.get('no-such-run')).toBeUndefined();
      });

      it('Given runs in every state, When their ids are looked up, Then each known id comes back with its state', async () => {
        const runs = (['pending', 'running', 'succeeded', 'failed'] as const).map((state) => aRun({ state }));
        const plain = aPlainSuccess();
        await store.flush({ ...EMPTY, runs, ledger: [plain] });

        const states = await store.runs.lookup([...runs.map((r) => r.id), plain.id, 'unknown']);

        expect(states).toEqual(
          new Map([...runs.map((r) => [r.id, r.state] as const), [plain.id, 'succeeded' as const]]),
        );
        expect(await store.runs.lookup([])).toEqual(new Map());
      });

      it('Given 1,500 runs in full and ledger form, When looked up at once, Then all are found', async () => {
        const runs = Array.from({ length: 750 }, () => aRun());
        const ledger = Array.from({ length: 750 }, () => aPlainSuccess());
        await store.flush({ ...EMPTY, runs, ledger });
        const ids = [...runs, ...ledger]
          .map((r) => r.id)
          .concat(Array.from({ length: 500 }, (_, i) => `missing-${i}`));

        expect((await store.runs.lookup(ids)).size).toBe(1_500);
      });

      it('Given a plain success written to the ledger, When read back, Then it is the same run', async () => {
        const plain = aPlainSuccess({ output: { verdict: 'ok' } });
        await store.flush({ ...EMPTY, ledger: [plain] });

        expect(await store.runs.get(plain.id)).toEqual(plain);
        expect((await store.runs.list({ group: plain.group })).map((r) => r.id)).toEqual([plain.id]);
        expect(await store.runs.countByState(plain.group)).toEqual([
          { process: plain.process, state: 'succeeded', count: 1 },
        ]);
      });

      it('Given the same process in full and ledger runs, When counted, Then succeeded runs add up across both', async () => {
        const full = aRun({ state: 'succeeded', process: 'p', group: 'g' });
        const failed = aRun({ state: 'failed', process: 'p', group: 'g' });
        const plain = aPlainSuccess({ process: 'p', group: 'g' });
        await store.flush({ ...EMPTY, runs: [full, failed], ledger: [plain] });

        expect(await store.runs.countByState('g')).toEqual([
          { process: 'p', state: 'failed', count: 1 },
          { process: 'p', state: 'succeeded', count: 2 },
        ]);
        expect((await store.runs.list({ group: 'g', state: 'failed' })).map((r) => r.id)).toEqual([
          failed.id,
        ]);
      });

      it('Given runs, When listed, Then the most recently updated come first and filters select', async () => {
        const a = aRun({ updatedAt: T0 + 1, state: 'failed', process: 'billing' });
        const b = aRun({ updatedAt: T0 + 3, group: 'other' });
        const c = aRun({ updatedAt: T0 + 2, eventId: 'evt-c' });
        await store.flush({ ...EMPTY, runs: [a, b, c] });

        expect((await store.runs.list()).map((r) => r.id)).toEqual([b.id, c.id, a.id]);
        expect((await store.runs.list({ limit: 2 })).map((r) => r.id)).toEqual([b.id, c.id]);
        expect((await store.runs.list({ group: 'orders' })).map((r) => r.id)).toEqual([c.id, a.id]);
        expect((await store.runs.list({ state: 'failed' })).map((r) => r.id)).toEqual([a.id]);
        expect((await store.runs.list({ process: 'billing' })).map((r) => r.id)).toEqual([a.id]);
        expect((await store.runs.list({ eventId: 'evt-c' })).map((r) => r.id)).toEqual([c.id]);
      });

      it('Given runs of several processes and groups, Then countByState groups by process and state', async () => {
        await store.flush({
          ...EMPTY,
          runs: [
            aRun({ process: 'shipping', state: 'succeeded' }),
            aRun({ process: 'shipping', state: 'succeeded' }),
            aRun({ process: 'shipping', state: 'failed' }),
            aRun({ process: 'billing', state: 'running', group: 'billing' }),
          ],
        });

        const sorted = (counts: { process: string; state: string; count: number }[]) =>
          [...counts].sort((x, y) => `${x.process}/${x.state}`.localeCompare(`${y.process}/${y.state}`));
        expect(sorted(await store.runs.countByState())).toEqual([
          { process: 'billing', state: 'running', count: 1 },
          { process: 'shipping', state: 'failed', count: 1 },
          { process: 'shipping', state: 'succeeded', count: 2 },
        ]);
        expect(sorted(await store.runs.countByState('orders'))).toEqual([
          { process: 'shipping', state: 'failed', count: 1 },
          { process: 'shipping', state: 'succeeded', count: 2 },
        ]);
      });

      it('Given a run, When upserted again by a worker, Then the new state replaces the old', async () => {
        const run = aRun({ state: 'pending', runner: 'queue' });
        await store.runs.upsert([run]);
        const done = { ...run, state: 'succeeded' as const, worker: 'worker-1', updatedAt: T0 + 50 };

        await store.runs.upsert([done]);

        expect(await store.runs.get(run.id)).toEqual(done);
      });

      it('Given full and ledger runs, When iterated by form in small pages, Then each comes once, as stored: full runs in id order, ledger runs in one stable order', async () => {
        const full = [aFullRun(), aRun(), aRun({ state: 'running' }), aRun(), aRun()];
        const plain = [aPlainSuccess(), aPlainSuccess(), aPlainSuccess()];
        await store.flush({ ...EMPTY, runs: full, ledger: plain });

        const collect = async (form: 'full' | 'ledger', pageSize?: number) => {
          const seen: RunRecord[] = [];
          for await (const run of store.runs.iterate(form, pageSize)) seen.push(run);
          return seen;
        };
        const byId = (a: RunRecord, b: RunRecord) => (a.id < b.id ? -1 : 1);

        expect(await collect('full', 2)).toEqual([...full].sort(byId));
        const ledger = await collect('ledger', 2);
        expect([...ledger].sort(byId)).toEqual([...plain].sort(byId));
        expect(await collect('ledger')).toEqual(ledger);
      });
    });

    describe('efforts', () => {
      it('Given efforts with every optional field and with none, When read, Then each round-trips exactly', async () => {
        const full = anEffort({
          runId: 'run-1',
          attempts: 3,
          retries: 2,
          initialAttempt: anAttempt({ ok: false, error: 'timeout' }),
          finalAttempt: anAttempt({ attempt: 3, ok: false, error: '503' }),
          history: [
            anAttempt({ ok: false, error: 'timeout' }),
            anAttempt({ attempt: 2, ok: false, error: '503' }),
            anAttempt({ attempt: 3, ok: false, error: '503' }),
          ],
          culmination: 'parked',
          nextAttemptAt: T0 + 1_000,
          lastError: '503',
        });
        const bare = anEffort();
        await store.flush({ ...EMPTY, efforts: [full, bare] });

        expect(await store.efforts.get(full.id)).toEqual(full);
        const read = await store.efforts.get(bare.id);
        expect(Object.keys(read!).sort()).toEqual(Object.keys(bare).sort());
        expect(await store.efforts.get('no-such-effort')).toBeUndefined();
      });

      it('Given efforts, When listed, Then the most recently updated come first and filters select', async () => {
        const a = anEffort({ updatedAt: T0 + 1, culmination: 'parked', runId: 'run-a' });
        const b = anEffort({ updatedAt: T0 + 3 });
        const c = anEffort({ updatedAt: T0 + 2, culmination: 'pending', runId: 'run-a' });
        await store.flush({ ...EMPTY, efforts: [a, b, c] });

        expect((await store.efforts.list()).map((e) => e.id)).toEqual([b.id, c.id, a.id]);
        expect((await store.efforts.list({ limit: 1 })).map((e) => e.id)).toEqual([b.id]);
        expect((await store.efforts.list({ culmination: 'parked' })).map((e) => e.id)).toEqual([a.id]);
        expect((await store.efforts.list({ runId: 'run-a' })).map((e) => e.id)).toEqual([c.id, a.id]);
      });

      it('Given efforts, When iterated in small pages, Then each comes once, in id order', async () => {
        const efforts = Array.from({ length: 5 }, () => anEffort());
        await store.flush({ ...EMPTY, efforts });

        const seen: Effort[] = [];
        for await (const effort of store.efforts.iterate(2)) seen.push(effort);

        expect(seen).toEqual([...efforts].sort((a, b) => (a.id < b.id ? -1 : 1)));
      });
    });

    describe('agents', () => {
      /**
       * How long an agent must stay silent to count as quiet in these tests: far above a loaded machine's
       * delay between a heartbeat and the next statement (the lease TTL, 80 ms, was not: under load the
       * fresh agent had aged past it by the second prune).
       */
      const quiet = 400;
      it('Given an agent, When it beats, Then it is stored with the store time and its snapshot round-trips', async () => {
        const beat = aHeartbeat();
        const snapshot = aSnapshot(beat.id);

        const record = await store.agents.heartbeat({ ...beat, snapshot });

        expect(record).toEqual({ ...beat, snapshot, heartbeatAt: record.heartbeatAt });
        expect(isNow(record.heartbeatAt)).toBe(true);
        expect(await store.agents.get(beat.id)).toEqual(record);
        expect(await store.agents.get('nobody')).toBeUndefined();
      });

      it('Given a beat whose source and snapshot hold URI credentials, Then the store keeps and returns none', async () => {
        const secret = 'S3cr3tT0ken';
        const uri = `amqp://${secret}@mq:5672/vh?queue=orders`;
        const beat = aHeartbeat({ source: uri });
        const snapshot = {
          ...aSnapshot(beat.id),
          source: { uri, id: 'amqp:vh/orders' },
          lastError: `cannot reach RabbitMQ at ${uri}: connect ECONNREFUSED`,
        };

        const record = await store.agents.heartbeat({ ...beat, snapshot });

        for (const read of [record, await store.agents.get(beat.id), ...(await store.agents.list())]) {
          expect(JSON.stringify(read)).not.toContain(secret);
        }
        expect(record.source).toBe('amqp://***@mq:5672/vh?queue=orders');
        expect(record.snapshot?.lastError).toBe(
          'cannot reach RabbitMQ at amqp://***@mq:5672/vh?queue=orders: connect ECONNREFUSED',
        );
      });

      it('Given an agent that beats again, Then its one record is updated', async () => {
        const beat = aHeartbeat({ snapshot: aSnapshot('x') });
        const first = await store.agents.heartbeat(beat);
        await sleep(5);
        const { snapshot: _, ...withoutSnapshot } = beat;

        const second = await store.agents.heartbeat({ ...withoutSnapshot, state: 'SHUTTINGDOWN' });

        expect(second.state).toBe('SHUTTINGDOWN');
        expect('snapshot' in second).toBe(false);
        expect(second.heartbeatAt).toBeGreaterThan(first.heartbeatAt);
        expect(await store.agents.list()).toHaveLength(1);
      });

      it('Given agents, When listed, Then the newest beat comes first and group and liveness filter', async () => {
        const old = await store.agents.heartbeat(aHeartbeat({ group: 'billing' }));
        await sleep(quiet * 2);
        const fresh = await store.agents.heartbeat(aHeartbeat());

        expect((await store.agents.list()).map((a) => a.id)).toEqual([fresh.id, old.id]);
        expect((await store.agents.list({ group: 'billing' })).map((a) => a.id)).toEqual([old.id]);
        expect((await store.agents.list({ aliveWithinMs: quiet })).map((a) => a.id)).toEqual([fresh.id]);
        expect(await store.agents.list({ group: 'billing', aliveWithinMs: quiet })).toEqual([]);
      });

      it('Given agents that went quiet, When pruned, Then only those older than the limit go', async () => {
        await store.agents.heartbeat(aHeartbeat());
        await sleep(quiet * 2);
        const fresh = await store.agents.heartbeat(aHeartbeat());

        expect(await store.agents.prune(quiet)).toBe(1);
        expect((await store.agents.list()).map((a) => a.id)).toEqual([fresh.id]);
        expect(await store.agents.prune(quiet)).toBe(0);
      });
    });

    describe('control requests', () => {
      it('Given a request, Then it is pending with its args (empty when none) and the store time', async () => {
        const drain = await store.control.request('agent-1', 'drain', { timeoutMs: 5_000 });
        const pause = await store.control.request('agent-1', 'pause');

        expect(drain).toMatchObject({
          agentId: 'agent-1',
          kind: 'drain',
          args: { timeoutMs: 5_000 },
          status: 'pending',
        });
        expect(pause.args).toEqual({});
        expect(isNow(drain.createdAt)).toBe(true);
        expect('result' in drain).toBe(false);
        expect(await store.control.get(drain.id)).toEqual(drain);
        expect(await store.control.get(drain.id + 1000)).toBeUndefined();
      });

      it('Given requests for several agents, Then pending lists one agent’s pending requests oldest first', async () => {
        const first = await store.control.request('agent-1', 'pause');
        await store.control.request('agent-2', 'drain');
        const second = await store.control.request('agent-1', 'resume');
        const third = await store.control.request('agent-1', 'drain');
        await store.control.update(second.id, 'accepted');

        expect((await store.control.pending('agent-1')).map((r) => r.id)).toEqual([first.id, third.id]);
        expect(await store.control.pending('agent-3')).toEqual([]);
      });

      it('Given a request, When updated with and without a result, Then status, result and time follow', async () => {
        const request = await store.control.request('agent-1', 'drain');

        await store.control.update(request.id, 'accepted');
        expect(await store.control.get(request.id)).toMatchObject({ status: 'accepted' });
        await store.control.update(request.id, 'done', { drained: 12, partitions: ['0', '1'] });

        const done = await store.control.get(request.id);
        expect(done).toMatchObject({ status: 'done', result: { drained: 12, partitions: ['0', '1'] } });
        expect(done!.updatedAt).toBeGreaterThanOrEqual(request.updatedAt);
      });

      it('Given requests of several agents and statuses, When listed, Then all, or one agent’s, come oldest first', async () => {
        const first = await store.control.request('agent-1', 'pause');
        const other = await store.control.request('agent-2', 'drain', { timeoutMs: 1 });
        const second = await store.control.request('agent-1', 'resume');
        await store.control.update(first.id, 'done', { paused: true });

        const all = await store.control.list();

        expect(all.map((r) => r.id)).toEqual([first.id, other.id, second.id]);
        expect(all[0]).toMatchObject({ status: 'done', result: { paused: true } });
        expect((await store.control.list('agent-1')).map((r) => r.id)).toEqual([first.id, second.id]);
        expect(await store.control.list('agent-3')).toEqual([]);
      });

      it('Given no request with an id, When updated, Then it is a not-found error', async () => {
        await expect(store.control.update(424_242, 'done')).rejects.toSatisfy(isNotFoundError);
      });
    });

    describe('local log', () => {
      it('Given no topic, When ensured twice with different counts, Then the first count stays', async () => {
        const created = await store.log.ensureTopic('orders', 3);
        const again = await store.log.ensureTopic('orders', 8);

        expect(created).toMatchObject({ name: 'orders', partitions: 3 });
        expect(isNow(created.createdAt)).toBe(true);
        expect(again).toEqual(created);
        expect(await store.log.topic('orders')).toEqual(created);
        expect(await store.log.topic('nothing')).toBeUndefined();
      });

      it('Given topics, When listed, Then all come back by name', async () => {
        await store.log.ensureTopic('b-topic', 1);
        await store.log.append('a-topic', [{ value: bytes('x') }]);

        expect((await store.log.topics()).map((t) => [t.name, t.partitions])).toEqual([
          ['a-topic', 4],
          ['b-topic', 1],
        ]);
      });

      it('Given an invalid partition count, When a topic is ensured, Then it is a usage error', async () => {
        await expect(store.log.ensureTopic('orders', 0)).rejects.toSatisfy(isUsageError);
        await expect(store.log.ensureTopic('orders', 1.5)).rejects.toSatisfy(isUsageError);
      });

      it('Given a topic, When records are appended, Then they get dense offsets from 0 per partition, in input order', async () => {
        await store.log.ensureTopic('orders', 2);

        const first = await store.log.append('orders', [
          { value: bytes('a'), partition: 0 },
          { value: bytes('b'), partition: 1 },
          { value: bytes('c'), partition: 0 },
        ]);
        const second = await store.log.append('orders', [{ value: bytes('d'), partition: 0 }]);

        expect(first).toEqual([
          { partition: 0, offset: 0 },
          { partition: 1, offset: 0 },
          { partition: 0, offset: 1 },
        ]);
        expect(second).toEqual([{ partition: 0, offset: 2 }]);
        expect(await store.log.append('orders', [])).toEqual([]);
      });

      it('Given appends and flushes under way at once, Then every record gets its own dense offset and reads back where it was placed', async () => {
        await store.log.ensureTopic('orders', 3);
        const calls = Array.from({ length: 6 }, (_, call) =>
          Array.from({ length: 7 }, (_, i) => ({
            value: bytes(`${call}.${i}`),
            key: `k${(call * 7 + i) % 5}`,
          })),
        );

        const placed = await Promise.all([
          ...calls.map((records) => store.log.append('orders', records)),
          store.flush({ ...EMPTY, parked: [aParked(), aParked()] }),
        ]);

        const byPartition = new Map<number, Map<number, string>>();
        for (let p = 0; p < 3; p++) {
          const records = await store.log.read('orders', p, -1, 100);
          expect(records.map((r) => r.offset)).toEqual(records.map((_, i) => i));
          byPartition.set(p, new Map(records.map((r) => [r.offset, text(r.value)])));
        }
        const all = calls.flatMap((records, call) =>
          records.map((record, i) => ({
            record,
            at: (placed[call] as { partition: number; offset: number }[])[i]!,
          })),
        );
        expect(new Set(all.map(({ at }) => `${at.partition}/${at.offset}`)).size).toBe(all.length);
        for (const { record, at } of all) {
          expect(at.partition).toBe(partitionForKey(record.key, 3));
          expect(byPartition.get(at.partition)!.get(at.offset)).toBe(text(record.value));
        }
      });

      it('Given keyed records, When appended, Then each goes to the partition of its key', async () => {
        await store.log.ensureTopic('orders', 5);
        const keys = ['customer-1', 'customer-2', 'customer-3', 'customer-1'];

        const placed = await store.log.append(
          'orders',
          keys.map((key) => ({ key, value: bytes(key) })),
        );

        expect(placed.map((p) => p.partition)).toEqual(keys.map((key) => partitionForKey(key, 5)));
        expect(placed[3]!.offset).toBe(placed[0]!.offset + 1);
      });

      it('Given records with neither key nor partition, When appended, Then they spread round-robin', async () => {
        const placed = await store.log.append(
          'spread',
          Array.from({ length: 8 }, (_, i) => ({ value: bytes(String(i)) })),
        );

        const perPartition = new Map<number, number>();
        for (const { partition } of placed)
          perPartition.set(partition, (perPartition.get(partition) ?? 0) + 1);
        expect([...perPartition.keys()].sort()).toEqual([0, 1, 2, 3]);
        expect([...perPartition.values()]).toEqual([2, 2, 2, 2]);
        expect((await store.log.topic('spread'))?.partitions).toBe(4);
      });

      it('Given a partition outside the topic, When appended, Then it is a usage error and nothing is written', async () => {
        await store.log.ensureTopic('orders', 2);

        await expect(
          store.log.append('orders', [
            { value: bytes('ok'), partition: 0 },
            { value: bytes('bad'), partition: 2 },
          ]),
        ).rejects.toSatisfy(isUsageError);
        await expect(store.log.append('orders', [{ value: bytes('bad'), partition: -1 }])).rejects.toSatisfy(
          isUsageError,
        );

        expect(await store.log.bounds('orders', 0)).toEqual({ earliest: -1, latest: -1 });
      });

      it('Given records, When read, Then values, keys and timestamps come back in offset order from after the offset', async () => {
        const values = [new Uint8Array([0, 1, 2, 255]), bytes('{"id":1}'), new Uint8Array([])];
        await store.log.ensureTopic('orders', 1);
        await store.log.append('orders', [
          { value: values[0]!, key: 'k1', timestamp: T0 + 1 },
          { value: values[1]!, timestamp: T0 + 2, partition: 0 },
          { value: values[2]! },
        ]);

        const all = await store.log.read('orders', 0, -1, 10);

        expect(all.map((r) => [r.topic, r.partition, r.offset, r.key])).toEqual([
          ['orders', 0, 0, 'k1'],
          ['orders', 0, 1, null],
          ['orders', 0, 2, null],
        ]);
        expect(all.map((r) => [...r.value])).toEqual(values.map((v) => [...v]));
        expect(all.map((r) => r.timestamp).slice(0, 2)).toEqual([T0 + 1, T0 + 2]);
        expect(isNow(all[2]!.timestamp)).toBe(true);
        expect((await store.log.read('orders', 0, 0, 1)).map((r) => text(r.value))).toEqual(['{"id":1}']);
        expect(await store.log.read('orders', 0, 2, 10)).toEqual([]);
        expect(await store.log.read('orders', 0, -1, 0)).toEqual([]);
        expect(await store.log.read('nothing', 0, -1, 10)).toEqual([]);
      });

      it('Given values of every byte, backslashes and JSON, When read one partition and many, Then the bytes are exact, And plain JSON comes with its text', async () => {
        const every = Uint8Array.from({ length: 256 }, (_, b) => b);
        const values = [
          bytes('{"id":"a\\\\b","say":"\\"hi\\""}'),
          every,
          new Uint8Array([0x5c, 0x30, 0x30, 0x30, 0x5c, 0x5c, 0]),
          bytes('{"name":"Zoë ✓"}'),
          new Uint8Array([0xc3, 0x28, 0x7b]),
          bytes('{"type":"plain","n":1}'),
        ];
        await store.log.ensureTopic('orders', 1);
        await store.log.append(
          'orders',
          values.map((value) => ({ value, partition: 0 })),
        );

        const one = await store.log.read('orders', 0, -1, 10);
        const many = (
          await store.log.readMany?.('orders', [{ partition: 0, afterOffset: -1, max: 10 }])
        )?.[0];

        for (const records of many === undefined ? [one] : [one, many]) {
          expect(records.map((r) => [...r.value])).toEqual(values.map((v) => [...v]));
          for (const r of records) if (r.text !== undefined) expect(r.text).toBe(text(r.value));
          expect(records.at(-1)!.text).toBe('{"type":"plain","n":1}');
        }
      });

      it('Given a partition, When its bounds are asked before and after appends, Then they are -1/-1 then first/last', async () => {
        await store.log.ensureTopic('orders', 2);
        expect(await store.log.bounds('orders', 1)).toEqual({ earliest: -1, latest: -1 });

        await store.log.append(
          'orders',
          Array.from({ length: 5 }, () => ({ value: bytes('v'), partition: 1 })),
        );

        expect(await store.log.bounds('orders', 1)).toEqual({ earliest: 0, latest: 4 });
        expect(await store.log.bounds('orders', 0)).toEqual({ earliest: -1, latest: -1 });
      });

      it('Given timestamped records, When an offset is asked for a time, Then it is the first at or after that time', async () => {
        await store.log.ensureTopic('orders', 1);
        expect(await store.log.offsetAtTime('orders', 0, T0)).toBe(0);
        await store.log.append(
          'orders',
          [10, 20, 20, 30].map((ms) => ({ value: bytes(String(ms)), timestamp: T0 + ms })),
        );

        expect(await store.log.offsetAtTime('orders', 0, T0)).toBe(0);
        expect(await store.log.offsetAtTime('orders', 0, T0 + 15)).toBe(1);
        expect(await store.log.offsetAtTime('orders', 0, T0 + 20)).toBe(1);
        expect(await store.log.offsetAtTime('orders', 0, T0 + 30)).toBe(3);
        expect(await store.log.offsetAtTime('orders', 0, T0 + 31)).toBe(4);
      });
    });

    describe('replaced runs (replay --rerun)', () => {
      it('Given a run in the ledger and one in full, When a flush replaces both, Then each keeps only its new record', async () => {
        const inLedger = aPlainSuccess();
        const inFull = aFullRun();
        await store.flush({ ...EMPTY, runs: [inFull], ledger: [inLedger] });

        const failedNow = { ...inLedger, state: 'failed' as const, error: 'boom', updatedAt: T0 + 99 };
        const plainNow = { ...inFull, updatedAt: T0 + 98 };
        await store.flush({
          ...EMPTY,
          runs: [failedNow],
          ledger: [plainNow],
          replaced: [inLedger.id, inFull.id],
        });

        expect(await store.runs.lookup([inLedger.id, inFull.id])).toEqual(
          new Map([
            [inLedger.id, 'failed'],
            [inFull.id, 'succeeded'],
          ]),
        );
        const all = await store.runs.list({});
        expect(all.filter((r) => r.id === inLedger.id).map((r) => r.state)).toEqual(['failed']);
        expect(all.filter((r) => r.id === inFull.id)).toHaveLength(1);
      });
    });

    describe('prune', () => {
      const CUT = T0 + 1_000;

      it('Given finished, unfinished, old and new runs, When pruned, Then only finished runs older than the cut go; a dry run only counts', async () => {
        const oldDone = aRun({ updatedAt: T0 + 10 });
        const oldFailed = aFullRun({ updatedAt: T0 + 20 });
        const oldRunning = aRun({ state: 'running', updatedAt: T0 });
        const newDone = aRun({ updatedAt: CUT + 10 });
        // Ledger runs age by the time they finished.
        const oldLedger = aPlainSuccess({ finishedAt: T0 + 5 });
        const timeless = aPlainSuccess({ finishedAt: T0 + 6 });
        const newLedger = aPlainSuccess({ finishedAt: CUT });
        await store.flush({
          ...EMPTY,
          runs: [oldDone, oldFailed, oldRunning, newDone],
          ledger: [oldLedger, timeless, newLedger],
        });

        expect(await store.runs.prune(CUT, true)).toBe(4);
        expect(await store.runs.get(oldDone.id)).toBeDefined();
        expect(await store.runs.get(oldLedger.id)).toBeDefined();

        expect(await store.runs.prune(CUT)).toBe(4);
        for (const gone of [oldDone, oldFailed, oldLedger, timeless])
          expect(await store.runs.get(gone.id)).toBeUndefined();
        for (const kept of [oldRunning, newDone, newLedger])
          expect(await store.runs.get(kept.id)).toBeDefined();
        expect(await store.runs.lookup([oldLedger.id, newLedger.id])).toEqual(
          new Map([[newLedger.id, 'succeeded']]),
        );
        expect(await store.runs.prune(CUT)).toBe(0);
      });

      it('Given culminated and pending efforts, When pruned, Then culminated ones older than the cut go', async () => {
        const delivered = anEffort({ updatedAt: T0 + 1 });
        const parked = anEffort({ culmination: 'parked', updatedAt: T0 + 2 });
        const pending = anEffort({ culmination: 'pending', updatedAt: T0 + 3 });
        const recent = anEffort({ updatedAt: CUT });
        await store.flush({ ...EMPTY, efforts: [delivered, parked, pending, recent] });

        expect(await store.efforts.prune(CUT, true)).toBe(2);
        expect(await store.efforts.prune(CUT)).toBe(2);

        expect((await store.efforts.list()).map((e) => e.id).sort()).toEqual([pending.id, recent.id].sort());
      });

      it('Given replayed, discarded and pending items, When pruned, Then settled items go by when they were last touched and pending ones stay', async () => {
        const replayed = aParked();
        const discarded = aParked();
        const pending = aParked();
        await store.flush({ ...EMPTY, parked: [replayed, discarded, pending] });
        const ids = new Map((await store.failed.list()).map((item) => [item.position, item.id]));
        await store.failed.setStatus([ids.get(replayed.position)!], 'replayed');
        await store.failed.setStatus([ids.get(discarded.position)!], 'discarded');

        // Failed at T0 + 100; the replay was stamped now, so only the discarded item is past the cut.
        expect(await store.failed.prune(CUT, true)).toBe(1);
        expect(await store.failed.prune(CUT)).toBe(1);
        expect(await store.failed.get(ids.get(discarded.position)!)).toBeUndefined();
        expect(await store.failed.get(ids.get(replayed.position)!)).toBeDefined();

        expect(await store.failed.prune(Date.now() + 60_000)).toBe(1);
        expect((await store.failed.list({ status: 'any' })).map((item) => item.id)).toEqual([
          ids.get(pending.position),
        ]);
      });

      it('Given a log partition, When pruned, Then records through the offset and before the cut go, the last record stays and offsets go on', async () => {
        await store.log.ensureTopic('orders', 1);
        await store.log.append(
          'orders',
          Array.from({ length: 5 }, (_, i) => ({ value: bytes(`r${i}`), timestamp: T0 + i })),
        );

        expect(await store.log.prune('orders', 0, 10, T0, true)).toBe(0);
        expect(await store.log.prune('orders', 0, 2, CUT, true)).toBe(3);
        expect(await store.log.bounds('orders', 0)).toEqual({ earliest: 0, latest: 4 });

        expect(await store.log.prune('orders', 0, 2, CUT)).toBe(3);
        expect(await store.log.bounds('orders', 0)).toEqual({ earliest: 3, latest: 4 });
        expect(await store.log.prune('orders', 0, 10, CUT)).toBe(1);
        expect(await store.log.bounds('orders', 0)).toEqual({ earliest: 4, latest: 4 });
        expect(await store.log.prune('orders', 0, 10, CUT)).toBe(0);

        const [placed] = await store.log.append('orders', [{ value: bytes('r5') }]);
        expect(placed).toEqual({ partition: 0, offset: 5 });
        expect((await store.log.read('orders', 0, -1, 10)).map((r) => [r.offset, text(r.value)])).toEqual([
          [4, 'r4'],
          [5, 'r5'],
        ]);
        expect(await store.log.prune('nothing', 0, 10, CUT)).toBe(0);
      });
    });
  });
}
