import { expect } from 'vitest';
import type { Effort } from '../../src/core/model/effort.js';
import type { RunRecord } from '../../src/core/model/run-record.js';
import type { StatusSnapshot } from '../../src/core/model/status-snapshot.js';
import type { StateStore } from '../../src/core/store/state-store.js';
import {
  aFullRun,
  aHeartbeat,
  anEffort,
  aParked,
  aPlainSuccess,
  aRun,
  T0,
} from '../core/store/state-store-contract.js';

const bytes = (text: string) => new TextEncoder().encode(text);

/** What `populate` put in the store, for tests to check a copy against. */
export interface Population {
  readonly logRecords: number;
  readonly failed: number;
  readonly runs: number;
  readonly efforts: number;
}

/**
 * Fills a store with some of everything it keeps, each kind past one page of a copy (500): a log topic
 * of 3 partitions (keys, explicit timestamps, binary values) and one of the default 4, failed messages in
 * every status with histories of several failures, full and ledger runs, efforts, agents (one running,
 * one stopped, one with a snapshot), control requests in several statuses, checkpoints and a lease.
 */
export async function populate(store: StateStore): Promise<Population> {
  await store.log.ensureTopic('events', 3);
  await store.log.append(
    'events',
    Array.from({ length: 1_200 }, (_, i) => ({
      value: i % 100 === 0 ? new Uint8Array([0, 255, i % 256]) : bytes(`{"n":${i}}`),
      ...(i % 3 === 0 ? { key: `customer-${i % 17}` } : { partition: i % 3 }),
      ...(i % 2 === 0 ? { timestamp: T0 + i } : {}),
    })),
  );
  await store.log.append('other', [{ value: bytes('x') }, { value: bytes('y') }]);

  const parked = Array.from({ length: 620 }, (_, i) =>
    aParked({
      attempts: 1 + (i % 3),
      failedAt: T0 + i,
      ...(i % 5 === 0
        ? { errorName: 'TransientError', rule: 'r', runId: `run-${i}`, eventId: `e-${i}` }
        : {}),
      ...(i % 7 === 0
        ? { sink: 'webhook', recordKey: `k-${i}`, headers: { 'x-id': String(i) }, kind: 'record' as const }
        : {}),
    }),
  );
  await store.flush({ runs: [], ledger: [], efforts: [], parked });
  const items = await store.failed.list({ status: 'any' });
  await store.failed.recordFailure(items[1]!.id, { at: T0 + 5_000, error: 'still down', via: 'replay' });
  await store.failed.recordFailure(items[1]!.id, { at: T0 + 6_000, error: 'down again', via: 'replay' });
  await store.flush({
    runs: [],
    ledger: [],
    efforts: [],
    parked: [{ ...parked[2]!, failedAt: T0 + 7_000, error: 'again' }],
  });
  await store.failed.setStatus([items[3]!.id, items[600]!.id], 'replayed');
  await store.failed.setStatus([items[4]!.id], 'discarded');

  const runs: RunRecord[] = [
    aFullRun(),
    aRun({ state: 'running', currentStep: 'reserve' }),
    ...Array.from({ length: 520 }, () => aRun()),
  ];
  const ledger = Array.from({ length: 540 }, () => aPlainSuccess());
  const efforts: Effort[] = Array.from({ length: 530 }, (_, i) =>
    anEffort(i % 9 === 0 ? { culmination: 'parked', runId: `run-${i}`, lastError: '503' } : {}),
  );
  await store.flush({ runs, ledger, efforts, parked: [] });

  const snapshot = {
    agentId: 'agent-live',
    state: 'STEADY',
    counters: { read: 3 },
  } as unknown as StatusSnapshot;
  await store.agents.heartbeat(aHeartbeat({ id: 'agent-stopped', state: 'SHUTDOWN' }));
  await store.agents.heartbeat(aHeartbeat({ id: 'agent-live', state: 'ACTIVE', snapshot }));

  const drain = await store.control.request('agent-live', 'drain', { timeoutMs: 5_000 });
  await store.control.request('agent-live', 'pause');
  const resume = await store.control.request('agent-stopped', 'resume');
  await store.control.update(drain.id, 'done', { drained: 12 });
  await store.control.update(resume.id, 'accepted');

  await store.checkpoints.set([
    { group: 'orders', source: 'local:events', partition: '0', position: '399', owner: 'agent-live' },
    { group: 'orders', source: 'local:events', partition: '1', position: '12' },
    { group: 'billing', source: 'kinesis:stream', partition: 'shardId-000', position: '4960' },
  ]);
  await store.leases.acquire({
    group: 'orders',
    source: 'local:events',
    partition: '0',
    owner: 'agent-live',
    ttlMs: 60_000,
  });

  return { logRecords: 1_202, failed: 620, runs: runs.length + ledger.length, efforts: efforts.length };
}

async function all<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/**
 * Asserts that `target` holds exactly what `source` holds, as far as a copy keeps it: the log record for
 * record, failed messages field for field (ids and `replayedAt` times aside), runs in their form, efforts,
 * agents (heartbeat times aside, running ones recorded stopped), control requests (ids and times aside),
 * checkpoints (times aside), and no leases.
 */
export async function expectSameContent(source: StateStore, target: StateStore): Promise<void> {
  const topics = await source.log.topics();
  expect((await target.log.topics()).map((t) => [t.name, t.partitions])).toEqual(
    topics.map((t) => [t.name, t.partitions]),
  );
  for (const topic of topics) {
    for (let p = 0; p < topic.partitions; p++) {
      const plain = (
        records: { offset: number; key: string | null; timestamp: number; value: Uint8Array }[],
      ) => records.map((r) => [r.offset, r.key, r.timestamp, [...r.value]]);
      expect(plain(await target.log.read(topic.name, p, -1, 10_000))).toEqual(
        plain(await source.log.read(topic.name, p, -1, 10_000)),
      );
    }
  }

  const failed = async (store: StateStore) =>
    (await store.failed.list({ status: 'any' })).map(({ id: _, replayedAt, raw, ...item }) => ({
      ...item,
      raw: [...raw],
      replayed: replayedAt !== undefined,
    }));
  expect(await failed(target)).toEqual(await failed(source));

  expect(await all(target.runs.iterate('full'))).toEqual(await all(source.runs.iterate('full')));
  expect(await all(target.runs.iterate('ledger'))).toEqual(await all(source.runs.iterate('ledger')));
  expect(await all(target.efforts.iterate())).toEqual(await all(source.efforts.iterate()));

  const agents = async (store: StateStore) =>
    (await store.agents.list())
      .map(({ heartbeatAt: _, ...agent }) => agent)
      .sort((a, b) => (a.id < b.id ? -1 : 1));
  expect(await agents(target)).toEqual(
    (await agents(source)).map((a) => ({ ...a, state: a.state === 'ERROR' ? 'ERROR' : 'SHUTDOWN' })),
  );

  const control = async (store: StateStore) =>
    (await store.control.list()).map(({ id: _, createdAt: _c, updatedAt: _u, ...request }) => request);
  expect(await control(target)).toEqual(await control(source));

  const checkpoints = async (store: StateStore) =>
    (await store.checkpoints.list()).map(({ updatedAt: _, ...checkpoint }) => checkpoint);
  expect(await checkpoints(target)).toEqual(await checkpoints(source));
  expect(await target.leases.list('orders', 'local:events')).toEqual([]);
}
