import { describe, expect, it } from 'vitest';
import { nextTurn } from '../../../../src/core/clock.js';
import { RunTask } from '../../../../src/core/strategies/library/run-task.js';
import { MessageRejected } from '../../../../src/core/strategies/processing-strategy.js';
import type { Message } from '../../../../src/core/types.js';
import { Collect } from '../../../support/collect.js';
import { nth } from '../../../support/messages.js';
import { strategyBehaviour } from '../strategy-behaviour.js';

const double = async (m: Message<number>) => {
  await nextTurn();
  return m.payload * 2;
};

strategyBehaviour('RunTask (asynchronous task)', (next) => new RunTask(double, next), nth, {
  hanging: (next) => new RunTask<number, number>(() => new Promise(() => undefined), next),
  failing: (next, ctx) =>
    new RunTask<number, number>(async (m) => {
      await nextTurn();
      if (ctx.fails(m)) throw ctx.failure;
      return m.payload;
    }, next),
});

strategyBehaviour(
  'RunTask (synchronous task)',
  (next) => new RunTask((m: Message<number>) => m.payload, next),
  nth,
  {
    failing: (next, ctx) =>
      new RunTask<number, number>((m) => {
        if (ctx.fails(m)) throw ctx.failure;
        return m.payload;
      }, next),
  },
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

describe('RunTask', () => {
  it('given a synchronous task, when a message is submitted, then its result is forwarded before submit returns and poll asks for no wait', () => {
    const next = new Collect<number>();
    const task = new RunTask((m: Message<number>) => m.payload + 100, next);
    task.submit(nth(1));
    expect(next.payloads).toEqual([101]);
    expect(task.poll()).toBeUndefined();
  });

  it('given an asynchronous task, when it runs, then submits are rejected and poll returns a promise until it settles', async () => {
    const next = new Collect<number>();
    const work = deferred<number>();
    const task = new RunTask<number, number>(() => work.promise, next);
    task.submit(nth(0));
    expect(() => task.submit(nth(1))).toThrow(MessageRejected);
    const waiting = task.poll();
    expect(waiting).toBeInstanceOf(Promise);
    expect(next.payloads).toEqual([]);
    work.resolve(5);
    await waiting;
    expect(task.poll()).toBeUndefined();
    expect(next.payloads).toEqual([5]);
    task.submit(nth(1));
  });

  it('given a task that rejects, when polled, then the rejection surfaces once and the strategy takes messages again', async () => {
    const next = new Collect<number>();
    const boom = new Error('boom');
    const task = new RunTask<number, number>(async (m) => {
      if (m.payload === 0) throw boom;
      return m.payload;
    }, next);
    task.submit(nth(0));
    await task.poll();
    expect(() => task.poll()).toThrow(boom);
    task.submit(nth(1));
    await task.poll();
    task.poll();
    expect(next.payloads).toEqual([1]);
  });

  it('given a next step that rejects the result, when polled later, then the held result is forwarded and the task ran once', () => {
    const next = new Collect<number>().rejectNext(2);
    let calls = 0;
    const task = new RunTask((m: Message<number>) => {
      calls++;
      return m.payload;
    }, next);
    task.submit(nth(0));
    expect(() => task.submit(nth(1))).toThrow(MessageRejected);
    task.poll();
    expect(next.payloads).toEqual([]);
    task.poll();
    expect(next.payloads).toEqual([0]);
    expect(calls).toBe(1);
  });

  it('given a task that throws synchronously, when submitted, then the error propagates and the message is not taken', () => {
    const next = new Collect<number>();
    const boom = new Error('boom');
    const task = new RunTask((m: Message<number>) => {
      if (m.payload === 0) throw boom;
      return m.payload;
    }, next);
    expect(() => task.submit(nth(0))).toThrow(boom);
    task.submit(nth(1));
    expect(next.payloads).toEqual([1]);
  });
});
