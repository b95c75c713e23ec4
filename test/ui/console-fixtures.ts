import { setTimeout as delay } from 'node:timers/promises';
import type { ConsoleActions, DrainOutcome } from '../../src/core/console/actions.js';
import type {
  ConsoleAgent,
  ConsolePartition,
  ConsoleQuery,
  ConsoleView,
} from '../../src/core/console/data.js';
import type { FailedRow } from '../../src/core/console/failed-window.js';
import type { PartitionPeek, PartitionRef } from '../../src/core/console/partition-peek.js';
import type { Effort } from '../../src/core/model/effort.js';
import type { RunRecord } from '../../src/core/model/run-record.js';
import type { CheckpointChangeResult } from '../../src/core/ops/checkpoint-moves.js';
import type { ReplayFailedSummary } from '../../src/core/ops/replay-failed.js';
import type { RunDetail } from '../../src/core/ops/runs/run-detail.js';
import type { FailedMessage } from '../../src/core/store/records.js';
import { editedInConsole, peekedRecord, runDetailOf } from './console-detail-fixtures.js';

export const NOW = 1_800_000_000_000;

export function agent(overrides: Partial<ConsoleAgent> = {}): ConsoleAgent {
  return {
    id: 'orders@host-1#4242',
    name: 'orders',
    group: 'orders',
    host: 'host-1',
    pid: 4242,
    state: 'ACTIVE',
    alive: true,
    startedAt: NOW - 3_723_000,
    upMs: 3_723_000,
    heartbeatAt: NOW - 500,
    stateSince: NOW - 61_000,
    source: 'amqp://ops-token@mq.internal:5672/prod?queue=orders',
    perSecond: 1_234,
    inFlight: 12,
    throughput: [100, 400, 800, 1_234],
    errorRate: 0.021,
    runner: { kind: 'pool', inFlight: 3, concurrency: 16 },
    counters: {
      read: 150_000,
      processed: 149_000,
      unmatched: 500,
      filtered: 0,
      parked: 321,
      skippedRuns: 0,
      runs: { pending: 0, running: 3, succeeded: 148_000, failed: 321 },
      stepAttempts: 0,
      stepRetries: 0,
      publishAttempts: 0,
      publishRetries: 0,
      delivered: 0,
      publishGiveUps: 0,
      commits: 0,
      done: 149_500,
    },
    ...overrides,
  };
}

export function partition(n: number, overrides: Partial<ConsolePartition> = {}): ConsolePartition {
  return {
    key: `orders\u0000local:events\u0000${n}`,
    group: 'orders',
    source: 'local:events',
    sourceId: 'local:events',
    partition: String(n),
    state: 'reading',
    committed: String(1_000 + n),
    latest: String(1_500 + n * 2),
    lagRecords: 500 + n,
    owner: 'orders@host-1#4242',
    agent: 'orders@host-1#4242',
    lagHistory: [900, 700, 500 + n],
    ...overrides,
  };
}

export function run(id: string, overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    id,
    group: 'orders',
    eventId: `evt-${id}`,
    eventType: 'order.created',
    rule: 'score-order',
    process: 'score',
    state: 'succeeded',
    attempts: 2,
    steps: [
      {
        name: 'fetch',
        state: 'succeeded',
        attempts: 1,
        startedAt: NOW - 9_000,
        finishedAt: NOW - 8_800,
        history: [],
      },
      {
        name: 'score',
        state: 'succeeded',
        attempts: 1,
        startedAt: NOW - 8_800,
        finishedAt: NOW - 8_700,
        history: [],
      },
    ],
    createdAt: NOW - 9_000,
    runner: 'inline',
    updatedAt: NOW - 8_700,
    ...overrides,
  };
}

export function effort(id: string, overrides: Partial<Effort> = {}): Effort {
  return {
    id,
    sink: 'amqp-results',
    recordId: `rec-${id}`,
    createdAt: NOW - 20_000,
    attempts: 3,
    retries: 2,
    history: [
      { attempt: 1, at: NOW - 20_000, durationMs: 12, ok: false, error: 'connection refused' },
      { attempt: 2, at: NOW - 15_000, durationMs: 11, ok: false, error: 'connection refused' },
      { attempt: 3, at: NOW - 5_000, durationMs: 13, ok: false, error: 'connection refused' },
    ],
    culmination: 'pending',
    nextAttemptAt: NOW + 40_000,
    lastError: 'connection refused',
    updatedAt: NOW - 5_000,
    ...overrides,
  };
}

export function failedRow(id: number, overrides: Partial<FailedRow> = {}): FailedRow {
  return {
    id,
    key: `k-${id}`,
    group: 'orders',
    source: 'local:events',
    partition: '3',
    position: String(400 + id),
    reason: 'process',
    kind: 'event',
    error: `step "score": order ${id} has no customer`,
    rule: 'score-order',
    process: 'score',
    eventId: `evt-${id}`,
    eventType: 'order.created',
    attempts: 3,
    timestamp: NOW - 100_000,
    status: 'pending',
    firstFailedAt: NOW - 90_000,
    lastFailedAt: NOW - 100_000,
    preview: `{"id":"evt-${id}","data":{"n":${id}}}`,
    failures: 1,
    ...overrides,
  };
}

/** A parked message whole, as the store keeps it: a payload of `lines` JSON lines once pretty-printed. */
export function failedMessage(id: number, overrides: Partial<FailedMessage> = {}): FailedMessage {
  const { preview: _preview, failures: _failures, ...row } = failedRow(id);
  const event = {
    specversion: '1.0',
    id: `evt-${id}`,
    type: 'order.created',
    source: 'shop',
    data: { n: id, lines: Array.from({ length: 30 }, (_, i) => ({ sku: `sku-${i}`, qty: i + 1 })) },
  };
  return {
    ...row,
    raw: new TextEncoder().encode(JSON.stringify(event)),
    history: [
      { at: NOW - 90_000, error: `step "score": order ${id} has no customer`, via: 'consume' },
      { at: NOW - 100_000, error: 'replayed: still no customer', via: 'replay' },
    ],
    ...overrides,
  };
}

/** A view of one busy agent: 4 partitions, runs, a retrying effort, 3 parked messages. */
export function sampleView(overrides: Partial<ConsoleView> = {}): ConsoleView {
  return {
    takenAt: NOW,
    store: { kind: 'sqlite', location: '/srv/agent/.agentctl/agent.db' },
    agents: [agent()],
    partitions: [0, 1, 2, 3].map((n) => partition(n)),
    runs: {
      byProcess: [
        { process: 'score', state: 'running', count: 3 },
        { process: 'score', state: 'succeeded', count: 148_000 },
        { process: 'score', state: 'failed', count: 321 },
        { process: 'ship', state: 'succeeded', count: 9_000 },
      ],
      recent: [
        run('r1', { state: 'running', currentStep: 'score' }),
        run('r2'),
        run('r3', { state: 'failed', error: 'boom' }),
      ],
    },
    retries: {
      efforts: [effort('e1')],
      steps: [
        {
          kind: 'step',
          id: 'r1',
          name: 'score',
          process: 'score',
          state: 'waiting',
          attempts: 2,
          nextAttemptAt: NOW + 4_000,
          error: 'timeout after 2s',
          at: NOW - 1_000,
        },
      ],
      sinks: [
        {
          name: 'amqp-results',
          enabled: false,
          since: NOW - 30_000,
          consecutiveFailures: 5,
          retryAt: NOW + 30_000,
          lastError: 'connection refused',
          agent: 'orders@host-1#4242',
        },
      ],
    },
    failed: {
      total: 3,
      top: 0,
      rows: [failedRow(13), failedRow(12), failedRow(11)],
      capped: false,
      byReason: { process: 3 },
    },
    ...overrides,
  };
}

/** A console source that serves a view and remembers the queries it was asked. */
export class FakeConsoleSource {
  readonly queries: ConsoleQuery[] = [];
  invalidations = 0;

  constructor(public view: ConsoleView = sampleView()) {}

  async load(query: ConsoleQuery): Promise<ConsoleView> {
    this.queries.push(query);
    return this.view;
  }

  /** The listed items, whole; an id not listed is gone. */
  async failedItem(id: number): Promise<FailedMessage | undefined> {
    return this.view.failed.rows.some((r) => r.id === id) ? failedMessage(id) : undefined;
  }

  /** A listed run whole (`runDetail`); a run not listed is gone. */
  async runDetail(id: string, _eventId?: string): Promise<RunDetail | undefined> {
    const found = this.view.runs.recent.find((r) => r.id === id);
    return found === undefined ? undefined : runDetailOf(found);
  }

  /** Peeks asked for, in order. */
  readonly peeks: PartitionRef[] = [];

  /** Three records done up to the checkpoint (its `committed`), then three after it. */
  async peekAround(ref: PartitionRef): Promise<PartitionPeek> {
    this.peeks.push(ref);
    const row = this.view.partitions.find((p) => p.partition === ref.partition);
    const checkpoint = Number(row?.committed ?? 0);
    const records = [-2, -1, 0, 1, 2, 3].map((d) =>
      peekedRecord(ref.partition, checkpoint + d, d <= 0 ? 'done' : d === 1 ? 'next' : 'after'),
    );
    return {
      ref,
      source: ref.sourceId,
      checkpoint: String(checkpoint),
      around: { before: 3, after: 3 },
      records,
    };
  }

  invalidate(): void {
    this.invalidations++;
  }
}

/** Actions that record their calls and succeed. */
export function spyActions(readonly = false) {
  const calls: { action: string; args: unknown[] }[] = [];
  const change: CheckpointChangeResult = {
    group: 'orders',
    source: 'local:events',
    target: '--to 1200',
    changes: [{ partition: '0', before: '1000', after: '1200', direction: 'forward' as const }],
    executed: true,
    forced: [],
  };
  const replayed = (ids: readonly number[]): ReplayFailedSummary => ({
    dryRun: false,
    selected: ids.length,
    replayed: ids.length,
    failedAgain: 0,
    skipped: 0,
    runs: { succeeded: ids.length, failed: 0, skipped: 0 },
    delivered: 0,
    interrupted: false,
    durationMs: 12,
    items: ids.map((id) => ({ id, kind: 'event', reason: 'process', outcome: 'replayed', as: 'processed' })),
  });
  const actions: ConsoleActions = {
    readonly,
    async replay(ids) {
      calls.push({ action: 'replay', args: [ids] });
      return replayed(ids);
    },
    async discard(ids) {
      calls.push({ action: 'discard', args: [ids] });
      return ids.length;
    },
    async redrive(ids) {
      calls.push({ action: 'redrive', args: [ids] });
      return {
        dryRun: false,
        origin: 'local:events',
        selected: ids.length,
        redriven: ids.length,
        failed: 0,
        skipped: 0,
        interrupted: false,
        durationMs: 12,
        items: ids.map((id) => ({ id, outcome: 'redriven', to: 'local:events partition 0' })),
      };
    },
    async setCheckpoint(target, position) {
      calls.push({ action: 'setCheckpoint', args: [target, position] });
      return change;
    },
    async resetCheckpoints(targets, to) {
      calls.push({ action: 'resetCheckpoints', args: [targets, to] });
      return change;
    },
    async edit(id, options) {
      calls.push({ action: 'edit', args: [id] });
      return options.aroundEditor(() => editedInConsole(id));
    },
    async drain(agentId): Promise<DrainOutcome> {
      calls.push({ action: 'drain', args: [agentId] });
      return { kind: 'requested', agent: agentId ?? 'orders@host-1#4242' };
    },
  };
  return { actions, calls };
}

/**
 * Waits until `probe` holds (frames render asynchronously). The bound only matters when it never holds: it
 * is generous, for a machine running other test files on the same cores.
 */
export async function until(probe: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(10);
  }
}

/**
 * Waits until the console reads keys: Ink starts reading stdin in an effect that runs after the first
 * frame is drawn, and a key written before it is lost (a loaded machine lets a test type in between).
 */
export async function readingKeys(stdin: { listenerCount(event: string): number }): Promise<void> {
  await until(() => stdin.listenerCount('readable') > 0, 'the console reading keys');
}

/** The first line of a frame that matches `pattern` ('' when none does). */
export const line = (frame: string | undefined, pattern: RegExp) =>
  (frame ?? '').split('\n').find((l) => pattern.test(l)) ?? '';
