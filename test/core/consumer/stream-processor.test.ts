import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
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
import type { StateStore } from '../../../src/core/store/state-store.js';
import { CommitOffsets } from '../../../src/core/strategies/commit-offsets.js';
import { RunTaskConcurrently } from '../../../src/core/strategies/library/run-task-concurrently.js';
import type { ProcessingStrategyFactory } from '../../../src/core/strategies/processing-strategy.js';
import { Telemetry } from '../../../src/core/telemetry/telemetry.js';
import type { Bytes, Message, Partition } from '../../../src/core/types.js';
import { tempDir } from '../../support/temp.js';

/** An assignor the test drives: it hands out `partitions` at start, then whatever the test queues. */
class ScriptedAssignor implements Assignor {
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

const key = (m: Message<unknown>) => `${m.partition}@${m.position}`;

interface Harness {
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
async function harness(options: {
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
async function finishes(
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

async function until(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(5);
  }
}

describe('StreamProcessor reassignment', () => {
  it('Given messages held after a rejection, When a partition is revoked, Then the messages already submitted are not submitted again', async () => {
    let revoked = false;
    const h = await harness({
      perPartition: 6,
      concurrency: 1,
      maxPending: 2,
      task: async () => {
        // The first call queues the revocation: it is applied while the rest of the batch is held.
        if (!revoked) h.assignor.revoke('1');
        revoked = true;
        await delay(10);
      },
    });
    const processor = h.processor({ untilEmpty: true, pollMax: 12 });

    const summary = await finishes(processor.run(), 'the processor');

    expect(summary.stoppedBy).toBe('empty');
    const kept = [...h.started].filter(([k]) => k.startsWith('0@'));
    expect(kept).toEqual(Array.from({ length: 6 }, (_, i) => [`0@${i}`, 1]));
    expect([...h.done].filter(([k]) => k.startsWith('0@'))).toEqual(kept);
    expect(await h.checkpoint('0')).toBe('5');
  });

  it('Given a join that abandons work of a kept partition, When the pipeline is rebuilt, Then that partition is read again from its first position not done, and held messages are not submitted twice', async () => {
    let revoked = false;
    const h = await harness({
      perPartition: 5,
      concurrency: 2,
      maxPending: 2,
      task: async (message) => {
        if (!revoked) h.assignor.revoke('1');
        revoked = true;
        // 0@1 outlasts the join's timeout: the join abandons it while 0@2.. wait in the held batch.
        await delay(message.partition === '0' && message.position === '1' ? 1_000 : 20);
      },
    });
    const processor = h.processor({ untilEmpty: true, pollMax: 10, drainTimeoutMs: 20 });

    const summary = await finishes(processor.run(), 'the processor');

    expect(summary.stoppedBy).toBe('empty');
    expect(h.assignor.releasedPartitions).toEqual(['1']);
    expect(new Map([...h.started].filter(([k]) => k.startsWith('0@')))).toEqual(
      new Map([
        ['0@0', 1],
        ['0@1', 2],
        ['0@2', 1],
        ['0@3', 1],
        ['0@4', 1],
      ]),
    );
    expect(new Map([...h.done].filter(([k]) => k.startsWith('0@')))).toEqual(
      new Map(['0@0', '0@1', '0@2', '0@3', '0@4'].map((k) => [k, 1])),
    );
    expect(await h.checkpoint('0')).toBe('4');
  });

  it('Given slow work on every partition, When a rebalance join times out, Then each kept partition finishes, its checkpoint never passing a position not done', async () => {
    let revoked = false;
    const h = await harness({
      perPartition: 5,
      concurrency: 2,
      maxPending: 10,
      task: async () => {
        if (!revoked) h.assignor.revoke('1');
        revoked = true;
        await delay(300);
      },
    });
    const processor = h.processor({ untilEmpty: true, pollMax: 10, drainTimeoutMs: 20 });
    const checkpoints: string[] = [];
    const watching = (async () => {
      for (;;) {
        const position = await h.checkpoint('0');
        if (position !== undefined && checkpoints.at(-1) !== position) {
          checkpoints.push(position);
          // Everything up to a committed position was done before it was committed.
          for (let i = 0; i <= Number(position); i++) expect(h.done.has(`0@${i}`)).toBe(true);
        }
        if (position === '4') return;
        await delay(5);
      }
    })();

    const summary = await finishes(processor.run(), 'the processor');
    await finishes(
      watching.then(() => summary),
      'the checkpoint of partition 0',
    );

    expect(summary.stoppedBy).toBe('empty');
    for (let i = 0; i < 5; i++) expect(h.done.get(`0@${i}`)).toBe(1);
    expect(await h.checkpoint('0')).toBe('4');
  });
});

describe('StreamProcessor losing a lease', () => {
  it('Given slow work of a partition, When its lease is lost, Then that work is abandoned at once rather than joined, and the kept partition finishes', async () => {
    let lost = false;
    const h = await harness({
      perPartition: 3,
      concurrency: 4,
      maxPending: 10,
      task: async (message) => {
        if (!lost) h.assignor.revoke('1', 'lost');
        lost = true;
        await delay(message.partition === '1' ? 15_000 : 20);
      },
    });
    const processor = h.processor({ untilEmpty: true, drainTimeoutMs: 60_000 });

    // Far less than the lost partition's work (15 s) or the drain timeout (60 s).
    const summary = await finishes(processor.run(), 'the processor', 8_000);

    expect(summary.stoppedBy).toBe('empty');
    expect([...h.done.keys()].filter((k) => k.startsWith('1@'))).toEqual([]);
    expect(await h.checkpoint('1')).toBeUndefined();
    expect(await h.checkpoint('0')).toBe('2');
    expect(h.assignor.releasedPartitions).toEqual([]);
  });
});

describe('StreamProcessor stopping', () => {
  it('Given slow work being drained, When terminated, Then run returns at once and commits nothing more', async () => {
    const h = await harness({ perPartition: 3, concurrency: 4, maxPending: 10, task: () => delay(15_000) });
    const processor = h.processor({ drainTimeoutMs: 60_000 });
    const running = processor.run();
    await until(() => h.started.size === 4, 'the work to start');

    processor.requestDrain();
    await until(() => processor.state.value === 'SHUTTINGDOWN', 'the drain');
    processor.terminate();
    // Far less than the work (15 s) or the drain timeout (60 s).
    const summary = await finishes(running, 'the terminated processor', 5_000);

    expect(summary.stoppedBy).toBe('terminate');
    expect(h.done.size).toBe(0);
    expect(await h.checkpoint('0')).toBeUndefined();
  });

  it('Given slow work being joined for a rebalance, When terminated, Then run returns at once', async () => {
    let revoked = false;
    const h = await harness({
      perPartition: 3,
      concurrency: 2,
      task: async () => {
        if (!revoked) h.assignor.revoke('1');
        revoked = true;
        // One short call lets the loop take the revocation; the rest outlast the test.
        await delay(h.started.size <= 1 ? 20 : 15_000);
      },
    });
    const processor = h.processor({ drainTimeoutMs: 60_000 });
    const running = processor.run();
    await until(() => h.done.has('0@0'), 'the first call to finish');
    await delay(200); // the loop takes the revocation and joins the pipeline, which waits for 0@1

    processor.terminate();
    const summary = await finishes(running, 'the terminated processor', 5_000);

    expect(summary.stoppedBy).toBe('terminate');
    expect(h.assignor.releasedPartitions).toEqual([]);
  });
  it('Given a commit being written and another owed, When the pipeline fails, Then no commit starts after run() rejected (nothing is written behind the failure)', async () => {
    let failNow: (() => void) | undefined;
    const failing = new Promise<void>((r) => {
      failNow = r;
    });
    const h = await harness({
      partitions: 1,
      perPartition: 30,
      concurrency: 1,
      task: async (message) => {
        if (message.position !== '12') return;
        await failing;
        throw new Error('boom: the pipeline fails');
      },
    });
    let flushes = 0;
    const gates: (() => void)[] = [];
    const store = new Proxy(h.store, {
      get(target, prop, receiver) {
        if (prop === 'flush')
          return async (...args: Parameters<StateStore['flush']>) => {
            flushes++;
            await new Promise<void>((r) => gates.push(r));
            return target.flush(...args);
          };
        const value = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as StateStore;
    const run = h.processor({ store, commitPolicy: { intervalMs: 60_000, messages: 5 } }).run();
    let rejected = false;
    run.catch(() => {
      rejected = true;
    });
    // The first commit is held; the messages done meanwhile make the next one owed.
    const deadline = Date.now() + 5_000;
    while (flushes < 1 && Date.now() < deadline) await delay(5);
    await delay(50);
    expect(flushes).toBe(1);
    failNow!();
    while (!rejected && Date.now() < deadline) await delay(5);
    expect(rejected).toBe(true);
    const before = flushes;
    gates.shift()!(); // the held commit goes through after run() has rejected
    await delay(100);
    // Nothing is written after the processor reported its failure (the store may be closing).
    expect(flushes - before).toBe(0);
    for (const gate of gates) gate();
  });
});

describe('StreamProcessor and the event loop', () => {
  it('Given a backlog read and done without ever waiting on a timer or I/O, When the processor works through it, Then timers get turns on the way, not only at its end', async () => {
    // Given a backlog whose work finishes in microtasks, and a clock that moves 1 ms each time it is read
    const h = await harness({
      perPartition: 20_000,
      concurrency: 1_000,
      maxPending: 1_000,
      task: async () => {},
    });
    let now = systemClock.now();
    const clock = { now: () => now++, sleep: systemClock.sleep };
    const stats = new Stats();
    const readAtTurns: number[] = [];
    const turn = setInterval(() => readAtTurns.push(stats.read), 0);

    // When the processor works through the backlog
    const summary = await finishes(
      h
        .processor({ clock, stats, untilEmpty: true, commitPolicy: { intervalMs: 60_000, messages: 1_000 } })
        .run(),
      'the processor',
    );
    clearInterval(turn);

    // Then a timer fired while most of the backlog was still unread
    expect(summary.read).toBe(40_000);
    expect(readAtTurns.some((read) => read > 0 && read < 20_000)).toBe(true);
  });
});
