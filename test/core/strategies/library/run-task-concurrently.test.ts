import { describe, expect, it } from 'vitest';
import { FakeClock, nextTurn } from '../../../../src/core/clock.js';
import { RunTaskConcurrently } from '../../../../src/core/strategies/library/run-task-concurrently.js';
import { MessageRejected } from '../../../../src/core/strategies/processing-strategy.js';
import type { Message } from '../../../../src/core/types.js';
import { Collect } from '../../../support/collect.js';
import { nth } from '../../../support/messages.js';
import { strategyBehaviour } from '../strategy-behaviour.js';

/** Finishes out of submission order: message i takes `i % 4` turns of the event loop. */
async function uneven(m: Message<number>): Promise<number> {
  for (let i = 0; i < m.payload % 4; i++) await nextTurn();
  return m.payload;
}

strategyBehaviour(
  'RunTaskConcurrently',
  (next) => new RunTaskConcurrently(uneven, { concurrency: 4 }, next),
  nth,
  {
    hanging: (next) =>
      new RunTaskConcurrently<number, number>(() => new Promise(() => undefined), { concurrency: 2 }, next),
    failing: (next, ctx) =>
      new RunTaskConcurrently<number, number>(
        async (m) => {
          await uneven(m);
          if (ctx.fails(m)) throw ctx.failure;
          return m.payload;
        },
        { concurrency: 3 },
        next,
      ),
  },
);

strategyBehaviour(
  'RunTaskConcurrently with more pending than running',
  (next) => new RunTaskConcurrently(uneven, { concurrency: 2, maxPending: 5 }, next),
  nth,
);

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A task whose calls finish only when the test says so. */
function controlled() {
  const calls: { message: Message<number>; done: ReturnType<typeof deferred<number>> }[] = [];
  let active = 0;
  let peak = 0;
  const fn = (message: Message<number>) => {
    const done = deferred<number>();
    calls.push({ message, done });
    active++;
    peak = Math.max(peak, active);
    return done.promise.finally(() => {
      active--;
    });
  };
  return { fn, calls, peak: () => peak };
}

describe('RunTaskConcurrently', () => {
  it('given concurrency 3, when many slow messages are fed, then exactly 3 run at a time and never more', async () => {
    let active = 0;
    let peak = 0;
    const next = new Collect<number>();
    const strategy = new RunTaskConcurrently(
      async (m: Message<number>) => {
        active++;
        peak = Math.max(peak, active);
        for (let i = 0; i < 3 + (m.payload % 3); i++) await nextTurn();
        active--;
        return m.payload;
      },
      { concurrency: 3 },
      next,
    );
    for (let i = 0; i < 30; i++) {
      for (;;) {
        try {
          strategy.submit(nth(i));
          break;
        } catch (error) {
          if (!(error instanceof MessageRejected)) throw error;
          await strategy.poll();
        }
      }
    }
    strategy.close();
    await strategy.join();
    expect(peak).toBe(3);
    expect(next.payloads).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });

  it('given results that finish in reverse order, when polled, then nothing passes the head and all leave in submission order', async () => {
    const task = controlled();
    const next = new Collect<number>();
    const strategy = new RunTaskConcurrently(task.fn, { concurrency: 3 }, next);
    for (let i = 0; i < 3; i++) strategy.submit(nth(i));
    task.calls[2]?.done.resolve(2);
    task.calls[1]?.done.resolve(1);
    await nextTurn();
    strategy.poll();
    expect(next.payloads).toEqual([]);
    task.calls[0]?.done.resolve(0);
    await nextTurn();
    strategy.poll();
    expect(next.payloads).toEqual([0, 1, 2]);
  });

  it('given a full window, when submitting, then MessageRejected is thrown and poll returns a promise that resolves when a slot frees', async () => {
    const task = controlled();
    const next = new Collect<number>();
    const strategy = new RunTaskConcurrently(task.fn, { concurrency: 2 }, next);
    strategy.submit(nth(0));
    expect(strategy.poll()).toBeUndefined();
    strategy.submit(nth(1));
    expect(() => strategy.submit(nth(2))).toThrow(MessageRejected);
    const waiting = strategy.poll();
    expect(waiting).toBeInstanceOf(Promise);
    let woke = false;
    void waiting?.then(() => {
      woke = true;
    });
    await nextTurn();
    expect(woke).toBe(false);
    task.calls[1]?.done.resolve(1);
    await nextTurn();
    expect(woke).toBe(true);
  });

  it('given maxPending above concurrency, when the window holds more than can run, then the extra messages wait and start in order as calls finish', async () => {
    const task = controlled();
    const next = new Collect<number>();
    const strategy = new RunTaskConcurrently(task.fn, { concurrency: 2, maxPending: 4 }, next);
    for (let i = 0; i < 4; i++) strategy.submit(nth(i));
    expect(() => strategy.submit(nth(4))).toThrow(MessageRejected);
    expect(task.calls.map((c) => c.message.payload)).toEqual([0, 1]);
    task.calls[1]?.done.resolve(1);
    await nextTurn();
    expect(task.calls.map((c) => c.message.payload)).toEqual([0, 1, 2]);
    task.calls[0]?.done.resolve(0);
    await nextTurn();
    expect(task.calls.map((c) => c.message.payload)).toEqual([0, 1, 2, 3]);
    expect(task.peak()).toBe(2);
    strategy.poll();
    expect(next.payloads).toEqual([0, 1]);
  });

  it('given a failure in the middle, when polled, then earlier results are forwarded, the error surfaces, and the next poll goes on', async () => {
    const next = new Collect<number>();
    const boom = new Error('boom');
    const strategy = new RunTaskConcurrently(
      async (m: Message<number>) => {
        if (m.payload === 1) throw boom;
        return m.payload;
      },
      { concurrency: 3 },
      next,
    );
    for (let i = 0; i < 3; i++) strategy.submit(nth(i));
    await nextTurn();
    expect(() => strategy.poll()).toThrow(boom);
    expect(next.payloads).toEqual([0]);
    strategy.poll();
    expect(next.payloads).toEqual([0, 2]);
  });

  it('given work that hangs and an injected clock, when joined with a timeout, then join ends when the clock passes it', async () => {
    const clock = new FakeClock();
    const next = new Collect<number>();
    const strategy = new RunTaskConcurrently<number, number>(
      () => new Promise(() => undefined),
      { concurrency: 1, clock },
      next,
    );
    strategy.submit(nth(0));
    strategy.close();
    let joined = false;
    void strategy.join(1_000).then(() => {
      joined = true;
    });
    await clock.advance(999);
    expect(joined).toBe(false);
    await clock.advance(1);
    await nextTurn();
    expect(joined).toBe(true);
    expect(next.joined).toBe(true);
    expect(next.joinTimeout).toBe(0);
    expect(next.messages).toEqual([]);
  });

  it('given concurrency below 1, when built, then it refuses', () => {
    expect(() => new RunTaskConcurrently(uneven, { concurrency: 0 }, new Collect())).toThrow(RangeError);
  });
});
