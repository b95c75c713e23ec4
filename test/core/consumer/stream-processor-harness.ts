import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { onTestFinished } from 'vitest';
import { systemClock } from '../../../src/core/clock.js';
import type { AssignmentChanges, Assignor, Revocation } from '../../../src/core/consumer/assignor.js';
import {
  type ProcessorSummary,
  StreamProcessor,
  type StreamProcessorOptions,
} from '../../../src/core/consumer/stream-processor.js';
import { Stats } from '../../../src/core/model/stats.js';
import { MemorySource } from '../../../src/core/sources/memory-source.js';
import { Journal } from '../../../src/core/store/journal.js';
import { openSqliteStore, type SqliteStateStore } from '../../../src/core/store/sqlite/sqlite-state-store.js';
import { CommitOffsets } from '../../../src/core/strategies/commit-offsets.js';
import { RunTaskConcurrently } from '../../../src/core/strategies/library/run-task-concurrently.js';
import type { ProcessingStrategyFactory } from '../../../src/core/strategies/processing-strategy.js';
import { Telemetry } from '../../../src/core/telemetry/telemetry.js';
import type { Bytes, Message, Partition } from '../../../src/core/types.js';
import { tempDir } from '../../support/temp.js';

/** An assignor the test drives: it hands out `partitions` at start, then whatever the test queues. */
export class ScriptedAssignor implements Assignor {
  private assigned: Partition[];
  private revoked: Revocation[] = [];
  private readonly holding = new Set<Partition>();
  readonly releasedPartitions: Partition[] = [];

  constructor(partitions: readonly Partition[]) {
    this.assigned = [...partitions];
  }

  revoke(partition: Partition, reason: Revocation['reason'] = 'rebalance'): void {
    this.revoked.push({ partition, reason });
  }

  assign(partition: Partition): void {
    this.assigned.push(partition);
  }

  async start(): Promise<void> {}

  takeChanges(): AssignmentChanges {
    const changes = { assigned: this.assigned, revoked: this.revoked };
    for (const p of this.assigned) this.holding.add(p);
    for (const r of this.revoked) this.holding.delete(r.partition);
    this.assigned = [];
    this.revoked = [];
    return changes;
  }

  async refresh(): Promise<void> {}
  fence(): undefined {
    return undefined;
  }
  ended(): void {}
  async released(partitions: readonly Partition[]): Promise<void> {
    this.releasedPartitions.push(...partitions);
  }
  settled(): boolean {
    return true;
  }
  held(): readonly Partition[] {
    return [...this.holding];
  }
  async owners(): Promise<Map<Partition, string>> {
    return new Map();
  }
  async stop(): Promise<void> {}
}

export const key = (m: Message<unknown>) => `${m.partition}@${m.position}`;

export interface Harness {
  readonly store: SqliteStateStore;
  readonly source: MemorySource;
  readonly assignor: ScriptedAssignor;
  /** How often the task was called for each `partition@position`. */
  readonly started: Map<string, number>;
  /** Positions the pipeline marked done, per `partition@position`. */
  readonly done: Map<string, number>;
  processor(options?: Partial<StreamProcessorOptions>): StreamProcessor;
  checkpoint(partition: Partition): Promise<string | undefined>;
}

/**
 * A processor over a memory log of `partitions` (default 2) × `perPartition` messages, on a real SQLite store,
 * whose pipeline runs `task` concurrently (`concurrency`, `maxPending`) and then marks messages done.
 */
export async function harness(options: {
  perPartition: number;
  partitions?: number;
  task: (message: Message<Bytes>) => Promise<void>;
  concurrency: number;
  maxPending?: number;
}): Promise<Harness> {
  const store = await openSqliteStore({ path: join(tempDir('processor-'), 'agent.db') });
  onTestFinished(() => store.close());
  const partitions = Array.from({ length: options.partitions ?? 2 }, (_, i) => i);
  const source = new MemorySource({ partitions: partitions.length, coordination: 'leases', idleMs: 5 });
  for (const partition of partitions) {
    source.append(
      Array.from({ length: options.perPartition }, (_, i) => `m${partition}-${i}`),
      { partition },
    );
  }
  const assignor = new ScriptedAssignor(partitions.map(String));
  const started = new Map<string, number>();
  const done = new Map<string, number>();
  const factory: ProcessingStrategyFactory<Bytes> = {
    create: (context) =>
      new RunTaskConcurrently<Bytes, Bytes>(
        async (message) => {
          started.set(key(message), (started.get(key(message)) ?? 0) + 1);
          await options.task(message);
          return message.payload;
        },
        {
          concurrency: options.concurrency,
          ...(options.maxPending ? { maxPending: options.maxPending } : {}),
        },
        new CommitOffsets((message, outcome) => {
          done.set(key(message), (done.get(key(message)) ?? 0) + 1);
          context.commit(message, outcome);
        }),
      ),
  };
  return {
    store,
    source,
    assignor,
    started,
    done,
    processor: (overrides = {}) =>
      new StreamProcessor({
        source,
        store,
        assignor,
        factory,
        group: 'g',
        owner: 'me',
        journal: new Journal(),
        clock: systemClock,
        telemetry: new Telemetry(),
        stats: new Stats(),
        commitPolicy: { intervalMs: 10, messages: 1 },
        ...overrides,
      }),
    checkpoint: async (partition) =>
      (await store.checkpoints.get('g', source.id, [partition])).get(partition)?.position,
  };
}

/** `run` settled within `ms`, or a clear failure saying it did not. */
export async function finishes(
  run: Promise<ProcessorSummary>,
  what: string,
  ms = 20_000,
): Promise<ProcessorSummary> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([run, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function until(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(5);
  }
}
