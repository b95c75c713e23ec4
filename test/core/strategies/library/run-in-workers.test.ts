import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { threadId } from 'node:worker_threads';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  RunInWorkers,
  type RunInWorkersOptions,
} from '../../../../src/core/strategies/library/run-in-workers.js';
import { InvalidMessage, isInvalidMessage } from '../../../../src/core/strategies/processing-strategy.js';
import { Collect } from '../../../support/collect.js';
import { message, nth } from '../../../support/messages.js';
import { FAILING_INDEX, FAILURE_MESSAGE, feed, finish, strategyBehaviour } from '../strategy-behaviour.js';

const dir = mkdtempSync(join(tmpdir(), 'agentctl-tests', 'workers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TASKS = join(dir, 'tasks.mjs');
writeFileSync(
  TASKS,
  `
import { threadId } from 'node:worker_threads';
export default async function double(message) {
  return message.payload * 2;
}
export function where(message) {
  const until = Date.now() + 20;
  while (Date.now() < until);
  return { threadId, payload: message.payload, raw: message.raw.length };
}
export function hang() {
  return new Promise(() => {});
}
export function failOne(message) {
  if (message.payload === ${FAILING_INDEX}) throw new Error(${JSON.stringify(FAILURE_MESSAGE)});
  return message.payload;
}
export function crashOn(message) {
  if (message.payload === 'crash') process.exit(3);
  return threadId;
}
export const notATask = 42;
`,
);

const options = (exportName: string, workers = 2): RunInWorkersOptions => ({
  module: TASKS,
  exportName,
  workers,
});

strategyBehaviour('RunInWorkers', (next) => new RunInWorkers<number, number>(options('default'), next), nth, {
  count: 30,
  hanging: (next) => new RunInWorkers<number, number>(options('hang'), next),
  failing: (next) => new RunInWorkers<number, number>(options('failOne'), next),
});

describe('RunInWorkers', () => {
  const running: RunInWorkers<unknown, unknown>[] = [];
  afterEach(() => {
    for (const strategy of running.splice(0)) strategy.terminate();
  });

  function start<T, U>(opts: RunInWorkersOptions, next: Collect<U>): RunInWorkers<T, U> {
    const strategy = new RunInWorkers<T, U>(opts, next);
    running.push(strategy as RunInWorkers<unknown, unknown>);
    return strategy;
  }

  it('given two workers, when busy tasks run, then they run on two threads other than this one, and results keep submission order', async () => {
    const next = new Collect<{ threadId: number; payload: number; raw: number }>();
    const strategy = start<number, { threadId: number; payload: number; raw: number }>(
      options('where'),
      next,
    );
    await feed(
      strategy,
      Array.from({ length: 8 }, (_, i) => nth(i)),
    );
    await finish(strategy);
    expect(next.payloads.map((r) => r.payload)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const threads = new Set(next.payloads.map((r) => r.threadId));
    expect(threads.size).toBe(2);
    expect(threads.has(threadId)).toBe(false);
    expect(next.payloads[0]?.raw).toBe(nth(0).raw.length);
  });

  it('given a task that throws, when polled, then an InvalidMessage for that message surfaces with the cause, and others go on', async () => {
    const next = new Collect<number>();
    const strategy = start<number, number>(options('failOne', 1), next);
    const errors: unknown[] = [];
    const inputs = [nth(0), nth(1), nth(2)];
    await feed(strategy, inputs, errors);
    await finish(strategy, errors);
    expect(errors).toHaveLength(1);
    const error = errors[0];
    expect(error).toBeInstanceOf(InvalidMessage);
    if (!isInvalidMessage(error)) return;
    expect(error.subject).toBe(inputs[1]);
    expect(error.reason).toBe('task');
    expect((error.cause as Error).message).toBe(FAILURE_MESSAGE);
    expect(next.payloads).toEqual([0, 2]);
  });

  it('given a task that kills its worker, when driven on, then that message fails and later ones run on a replacement thread', async () => {
    const next = new Collect<number>();
    const strategy = start<string, number>(options('crashOn', 1), next);
    const errors: unknown[] = [];
    const first = message('before');
    await feed(
      strategy,
      [first, message('crash', { position: '1' }), message('after', { position: '2' })],
      errors,
    );
    await finish(strategy, errors);
    expect(errors).toHaveLength(1);
    expect(isInvalidMessage(errors[0]) && errors[0].subject.position).toBe('1');
    expect(String((errors[0] as Error).cause)).toMatch(/exited with code 3/);
    expect(next.payloads).toHaveLength(2);
    expect(next.payloads[0]).not.toBe(next.payloads[1]);
  });

  it('given an export that is not a function, when polled, then a plain Error naming it surfaces', async () => {
    const next = new Collect<number>();
    const strategy = start<number, number>(options('notATask', 1), next);
    const errors: unknown[] = [];
    await feed(strategy, [nth(0)], errors);
    await finish(strategy, errors);
    expect(errors.length).toBeGreaterThan(0);
    expect(isInvalidMessage(errors[0])).toBe(false);
    expect((errors[0] as Error).message).toMatch(/notATask/);
    expect(next.messages).toEqual([]);
  });

  it('given a payload that cannot be cloned, when polled, then it fails as an InvalidMessage', async () => {
    const next = new Collect<number>();
    const strategy = start<unknown, number>(
      { ...options('default', 1), module: pathToFileURL(TASKS).href },
      next,
    );
    const errors: unknown[] = [];
    await feed(strategy, [message(() => 1)], errors);
    await finish(strategy, errors);
    expect(errors).toHaveLength(1);
    expect(isInvalidMessage(errors[0])).toBe(true);
  });

  it('given a relative module path, when built, then it refuses', () => {
    expect(() => new RunInWorkers({ module: './tasks.mjs', workers: 1 }, new Collect())).toThrow(TypeError);
  });
});
