import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { FatalError } from '../../../src/core/errors/fatal-error.js';
import type { CloudEvent } from '../../../src/core/events/cloud-event.js';
import type { RunRecord } from '../../../src/core/model/run-record.js';
import { Stats } from '../../../src/core/model/stats.js';
import { defineProcess, type ProcessDefinition } from '../../../src/core/processes/process.js';
import { executeRun } from '../../../src/core/processes/process-executor.js';

const event: CloudEvent = {
  specversion: '1.0',
  id: 'e1',
  source: 's',
  type: 'submission.created',
  data: { n: 2 },
};

function pendingRun(process: string): RunRecord {
  return {
    id: 'r1',
    group: 'g',
    eventId: 'e1',
    eventType: event.type,
    rule: 'rule',
    process,
    state: 'pending',
    attempts: 0,
    steps: [],
    createdAt: 0,
    updatedAt: 0,
    runner: 'inline',
  };
}

/** Runs the process while advancing the fake clock until it settles. */
async function run(process: ProcessDefinition, clock = new FakeClock(0), stats = new Stats()) {
  const changes: string[] = [];
  const done = Promise.resolve(
    executeRun(
      process as ProcessDefinition<CloudEvent, unknown>,
      pendingRun(process.name),
      event,
      { p: 1 },
      {
        clock,
        signal: new AbortController().signal,
        stats,
        random: () => 0,
        onChange: (r) => changes.push(r.state),
      },
    ),
  );
  let settled = false;
  void done.finally(() => {
    settled = true;
  });
  for (let i = 0; i < 1000 && !settled; i++) await clock.advance(10);
  return { record: await done, changes, stats };
}

describe('executeRun', () => {
  it('runs the steps in order, giving each the results before it, and succeeds', async () => {
    const seen: unknown[] = [];
    const { record } = await run(
      defineProcess({
        name: 'two-steps',
        steps: [
          { name: 'double', run: ({ event: e }) => (e.data as { n: number }).n * 2 },
          {
            name: 'report',
            run: async ({ results, params }) => {
              seen.push(results, params);
              return `got ${results.double as number}`;
            },
          },
        ],
      }),
    );
    expect(record.state).toBe('succeeded');
    expect(record.output).toBe('got 4');
    expect(seen).toEqual([{ double: 4 }, { p: 1 }]);
    expect(record.steps.map((s) => [s.name, s.state, s.attempts])).toEqual([
      ['double', 'succeeded', 1],
      ['report', 'succeeded', 1],
    ]);
    expect(record.currentStep).toBeUndefined();
  });

  it('retries a transient failure with the step policy backoff, recording every attempt', async () => {
    let calls = 0;
    const clock = new FakeClock(0);
    const { record, stats } = await run(
      defineProcess({
        name: 'flaky',
        steps: [
          {
            name: 'call',
            retry: { maxRetries: 3, kind: 'exponential', baseMs: 100, maxMs: 1000, jitter: 0 },
            run: () => {
              calls++;
              if (calls < 3) throw new Error(`503 #${calls}`);
              return 'ok';
            },
          },
        ],
      }),
      clock,
    );
    expect(record.state).toBe('succeeded');
    expect(record.attempts).toBe(3);
    const history = record.steps[0]!.history;
    expect(history.map((a) => a.error ?? 'ok')).toEqual(['503 #1', '503 #2', 'ok']);
    expect(history[1]!.startedAt - history[0]!.startedAt).toBe(100);
    expect(history[2]!.startedAt - history[1]!.startedAt).toBe(200);
    expect(stats.stepRetries).toBe(2);
  });

  it('fails the run once retries are exhausted, with the last error', async () => {
    const { record } = await run(
      defineProcess({
        name: 'always-down',
        retry: { maxRetries: 2, baseMs: 10, jitter: 0 },
        steps: [
          {
            name: 'call',
            run: () => {
              throw new Error('connection refused');
            },
          },
        ],
      }),
    );
    expect(record.state).toBe('failed');
    expect(record.fatal).toBe(false);
    expect(record.steps[0]!.attempts).toBe(3);
    expect(record.error).toBe('step "call": connection refused');
  });

  it('does not retry a FatalError and does not run later steps', async () => {
    let later = false;
    const { record } = await run(
      defineProcess({
        name: 'reject',
        steps: [
          {
            name: 'validate',
            run: () => {
              throw new FatalError('title missing');
            },
          },
          {
            name: 'never',
            run: () => {
              later = true;
            },
          },
        ],
      }),
    );
    expect(record.state).toBe('failed');
    expect(record.fatal).toBe(true);
    expect(record.steps[0]!.attempts).toBe(1);
    expect(record.steps[0]!.history[0]!.fatal).toBe(true);
    expect(record.steps[1]!.state).toBe('pending');
    expect(later).toBe(false);
  });

  it('a step slower than its timeout fails transiently and is retried', async () => {
    let calls = 0;
    const { record } = await run(
      defineProcess({
        name: 'slow',
        steps: [
          {
            name: 'wait',
            timeoutMs: 50,
            retry: { maxRetries: 1, baseMs: 10, jitter: 0 },
            run: ({ signal }) => {
              calls++;
              if (calls === 1)
                return new Promise((_, reject) =>
                  signal.addEventListener('abort', () => reject(signal.reason)),
                );
              return 'fast now';
            },
          },
        ],
      }),
    );
    expect(record.state).toBe('succeeded');
    expect(record.steps[0]!.history[0]!.error).toMatch(/took longer than 50 ms/);
  });

  it('reports a run that finished at once through onChange only when it finished', async () => {
    const { changes } = await run(defineProcess({ name: 'one', steps: [{ name: 's', run: () => 1 }] }));
    expect(changes).toEqual(['succeeded']);
  });

  it('fails the run fatally, naming step, process and why, when its output cannot be stored as JSON', async () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    const process = defineProcess({
      name: 'weigh',
      steps: [
        // An earlier step's result is not stored: a BigInt there is fine.
        { name: 'measure', run: () => 10n },
        { name: 'report', run: async ({ results }) => ({ grams: results.measure }) },
      ],
    });
    const { record, changes, stats } = await run(process);

    const why =
      'its result, the output of process "weigh", cannot be stored as JSON: a BigInt at .grams (convert it to a string or a number)';
    expect(record).toMatchObject({ state: 'failed', fatal: true, error: `step "report": ${why}` });
    expect(record.output).toBeUndefined();
    expect(record.steps.map((s) => s.state)).toEqual(['succeeded', 'failed']);
    expect(record.steps[1]).toMatchObject({ error: why, attempts: 1 });
    expect(record.steps[1]!.history).toEqual([
      expect.objectContaining({ attempt: 1, error: why, fatal: true }),
    ]);
    expect(changes).toEqual(['failed']);
    expect(stats.runs).toMatchObject({ running: 0, succeeded: 0, failed: 1 });

    const circular = await run(defineProcess({ name: 'loop', steps: [{ name: 'tie', run: () => cycle }] }));
    expect(circular.record.error).toMatch(/^step "tie": .* a circular reference at \.self/);
  });
});
