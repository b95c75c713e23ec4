import { describe, expect, it } from 'vitest';
import { PoisonGuard } from '../../../src/core/consumer/poison-guard.js';
import { PoisonStormError } from '../../../src/core/errors/poison-storm-error.js';
import type { RunRecord, RunState } from '../../../src/core/model/run-record.js';
import type { RunJob, Runner } from '../../../src/core/runners/runner.js';

function runIn(state: RunState): RunRecord {
  return { state } as RunRecord;
}

/** A runner whose runs finish as `outcomes` say, in order: a state at once, or a promise the test settles. */
function scriptedRunner(outcomes: (RunState | Promise<RunState>)[]): Runner & { started: number } {
  return {
    kind: 'scripted',
    concurrency: 4,
    inFlight: 0,
    started: 0,
    execute(_job: RunJob) {
      const outcome = outcomes[this.started++]!;
      return typeof outcome === 'string' ? runIn(outcome) : outcome.then(runIn);
    },
    close: async () => {},
  };
}

const job = {} as RunJob;
const signal = new AbortController().signal;

describe('PoisonGuard', () => {
  it('trips after maxConsecutive parked messages in a row, not before', () => {
    const guard = new PoisonGuard({ maxConsecutive: 3, maxRatio: 1, window: 10 });
    guard.record(true);
    guard.record(true);
    expect(() => guard.check()).not.toThrow();
    guard.record(true);
    expect(() => guard.check()).toThrow(PoisonStormError);
  });

  it('a processed message resets the run of failures', () => {
    const guard = new PoisonGuard({ maxConsecutive: 3, maxRatio: 1, window: 10 });
    for (let i = 0; i < 10; i++) {
      guard.record(true);
      guard.record(true);
      guard.record(false);
    }
    expect(() => guard.check()).not.toThrow();
  });

  it('trips on the failure ratio over a full window', () => {
    const guard = new PoisonGuard({ maxConsecutive: 1000, maxRatio: 0.5, window: 10 });
    for (let i = 0; i < 9; i++) guard.record(i % 3 !== 0);
    expect(() => guard.check()).not.toThrow();
    guard.record(true);
    expect(() => guard.check()).toThrow(/of the last 10 messages failed/);
  });

  it('Given a gated runner, When maxConsecutive runs fail in a row, Then it trips and starts no more runs', () => {
    const guard = new PoisonGuard({ maxConsecutive: 3, maxRatio: 1, window: 10 });
    const inner = scriptedRunner(['failed', 'failed', 'succeeded', 'failed', 'failed', 'failed', 'failed']);
    const runner = guard.gate(inner);

    for (let i = 0; i < 5; i++) runner.execute(job, signal);
    expect(guard.tripped).toBe(false);
    runner.execute(job, signal);

    expect(() => guard.check()).toThrow(/3 runs failed in a row/);
    expect(() => runner.execute(job, signal)).toThrow(PoisonStormError);
    expect(inner.started).toBe(6);
  });

  it('Given failed runs, When a message is done without parking in between, Then the count of failed runs starts over', () => {
    const guard = new PoisonGuard({ maxConsecutive: 3, maxRatio: 1, window: 10 });
    const runner = guard.gate(scriptedRunner(['failed', 'failed', 'failed', 'failed']));
    runner.execute(job, signal);
    runner.execute(job, signal);
    guard.record(false);
    runner.execute(job, signal);
    runner.execute(job, signal);
    expect(guard.tripped).toBe(false);
  });

  it('Given runs in flight when the guard trips, Then settled waits for them, and they still count', async () => {
    const guard = new PoisonGuard({ maxConsecutive: 1, maxRatio: 1, window: 10 });
    let finish!: (state: RunState) => void;
    const slow = new Promise<RunState>((resolve) => {
      finish = resolve;
    });
    const runner = guard.gate(scriptedRunner([slow, 'failed']));
    const inFlight = runner.execute(job, signal);
    runner.execute(job, signal);
    expect(guard.tripped).toBe(true);

    let settled = false;
    const waiting = guard.settled().then(() => {
      settled = true;
    });
    await Promise.resolve();
    expect(settled).toBe(false);
    finish('succeeded');
    await waiting;
    expect((await inFlight).state).toBe('succeeded');
  });
});
