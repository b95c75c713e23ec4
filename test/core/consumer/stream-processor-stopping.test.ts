import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { type Clock, systemClock } from '../../../src/core/clock.js';
import { Stats } from '../../../src/core/model/stats.js';
import { MemorySource } from '../../../src/core/sources/memory-source.js';
import type { StateStore } from '../../../src/core/store/state-store.js';
import { finishes, harness, until } from './stream-processor-harness.js';

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

  it('Given a source that answers at once that it has just caught up, When running until empty, Then the processor stops on that answer without its idle wait', async () => {
    const h = await harness({ perPartition: 0, concurrency: 2, task: async () => undefined });
    const source = new MemorySource({ partitions: 2, coordination: 'leases', idleMs: 0 });
    source.append(['a', 'b', 'c'], { partition: 0 });
    // Time stands still for the processor (every poll "answers at once"); its sleeps are recorded.
    const sleeps: number[] = [];
    const clock: Clock = {
      now: () => 0,
      sleep: (ms, signal) => {
        sleeps.push(ms);
        return systemClock.sleep(ms, signal);
      },
    };

    const summary = await finishes(h.processor({ source, clock, untilEmpty: true }).run(), 'the processor');

    expect(summary).toMatchObject({ read: 3, stoppedBy: 'empty' });
    expect(sleeps).not.toContain(5);
  });
});
