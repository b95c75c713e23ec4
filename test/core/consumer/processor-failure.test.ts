// A processor that fails stops committing: a commit owed behind the one being written is not written.
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { expect, it, onTestFinished } from 'vitest';
import { systemClock } from '../../../src/core/clock.js';
import type { AssignmentChanges, Assignor } from '../../../src/core/consumer/assignor.js';
import { StreamProcessor } from '../../../src/core/consumer/stream-processor.js';
import { Stats } from '../../../src/core/model/stats.js';
import { MemorySource } from '../../../src/core/sources/memory-source.js';
import { Journal } from '../../../src/core/store/journal.js';
import { openSqliteStore } from '../../../src/core/store/sqlite/sqlite-state-store.js';
import type { StateStore } from '../../../src/core/store/state-store.js';
import { CommitOffsets } from '../../../src/core/strategies/commit-offsets.js';
import { RunTaskConcurrently } from '../../../src/core/strategies/library/run-task-concurrently.js';
import type { ProcessingStrategyFactory } from '../../../src/core/strategies/processing-strategy.js';
import { Telemetry } from '../../../src/core/telemetry/telemetry.js';
import type { Bytes, Partition } from '../../../src/core/types.js';
import { tempDir } from '../../support/temp.js';

class OneShotAssignor implements Assignor {
  private given = false;
  async start(): Promise<void> {}
  takeChanges(): AssignmentChanges {
    if (this.given) return { assigned: [], revoked: [] };
    this.given = true;
    return { assigned: ['0'], revoked: [] } as unknown as AssignmentChanges;
  }
  async refresh(): Promise<void> {}
  fence(): undefined {
    return undefined;
  }
  ended(): void {}
  async released(): Promise<void> {}
  settled(): boolean {
    return true;
  }
  held(): readonly Partition[] {
    return ['0'];
  }
  async owners(): Promise<Map<Partition, string>> {
    return new Map();
  }
  async stop(): Promise<void> {}
}

it('Given a commit being written and another owed, When the pipeline fails, Then no commit starts after run() rejected (nothing is written behind the failure)', async () => {
  const real = await openSqliteStore({ path: join(tempDir('review-'), 'agent.db') });
  onTestFinished(() => real.close());
  let flushes = 0;
  const gates: (() => void)[] = [];
  const store = new Proxy(real, {
    get(target, prop, receiver) {
      if (prop === 'flush')
        return async (...args: unknown[]) => {
          flushes++;
          await new Promise<void>((r) => gates.push(r));
          return (target.flush as (...a: unknown[]) => unknown).apply(target, args);
        };
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  }) as unknown as StateStore;
  const source = new MemorySource({ partitions: 1, coordination: 'leases', idleMs: 5 });
  source.append(
    Array.from({ length: 30 }, (_, i) => `m${i}`),
    { partition: 0 },
  );
  let failNow: (() => void) | undefined;
  const failing = new Promise<void>((r) => {
    failNow = r;
  });
  const factory: ProcessingStrategyFactory<Bytes> = {
    create: (context) =>
      new RunTaskConcurrently<Bytes, Bytes>(
        async (message) => {
          if (Number(message.position) === 12) {
            await failing;
            throw new Error('boom: the pipeline fails');
          }
          return message.payload;
        },
        { concurrency: 1 },
        new CommitOffsets((message, outcome) => context.commit(message, outcome)),
      ),
  };
  const processor = new StreamProcessor({
    source,
    store,
    assignor: new OneShotAssignor(),
    factory,
    group: 'g',
    owner: 'me',
    journal: new Journal(),
    clock: systemClock,
    telemetry: new Telemetry(),
    stats: new Stats(),
    commitPolicy: { intervalMs: 60_000, messages: 5 },
  });
  const run = processor.run();
  let rejected = false;
  run.catch(() => {
    rejected = true;
  });
  // Commit A held; further done messages make a commit owed.
  const deadline = Date.now() + 5_000;
  while (flushes < 1 && Date.now() < deadline) await delay(5);
  await delay(50);
  expect(flushes).toBe(1);
  failNow!();
  while (!rejected && Date.now() < deadline) await delay(5);
  expect(rejected).toBe(true);
  const before = flushes;
  gates.shift()!(); // commit A goes through after run() has rejected
  await delay(100);
  // Nothing is written after the processor reported its failure (the store may be closing).
  expect(flushes - before).toBe(0);
  for (const g of gates) g();
});
