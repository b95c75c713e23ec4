import { describe, expect, it } from 'vitest';
import type { CloudEvent } from '../../../src/core/events/cloud-event.js';
import { runIdOf } from '../../../src/core/model/run-id.js';
import type { RunRecord } from '../../../src/core/model/run-record.js';
import { defineProcess, ProcessRegistry } from '../../../src/core/processes/process.js';
import { InlineRunner } from '../../../src/core/runners/inline-runner.js';
import { Journal } from '../../../src/core/store/journal.js';
import { openSqliteStore } from '../../../src/core/store/sqlite/sqlite-state-store.js';
import { type Dispatch, DispatchProcesses } from '../../../src/core/strategies/dispatch-processes.js';
import type { Evaluation } from '../../../src/core/strategies/evaluate-rules.js';
import { ParkFailedRuns } from '../../../src/core/strategies/park-failed-runs.js';
import { InvalidMessage } from '../../../src/core/strategies/processing-strategy.js';
import type { Message } from '../../../src/core/types.js';
import { Collect } from '../../support/collect.js';
import { message, nth } from '../../support/messages.js';
import { feed, finish, strategyBehaviour } from './strategy-behaviour.js';

function run(state: RunRecord['state'], i: number): RunRecord {
  return {
    id: `r${i}`,
    group: 'g',
    eventId: `e${i}`,
    eventType: 't',
    rule: 'rule',
    process: 'p',
    state,
    attempts: 1,
    steps: [],
    createdAt: 0,
    updatedAt: 0,
    runner: 'inline',
    ...(state === 'failed' ? { error: 'step "s": boom' } : {}),
  };
}

function dispatchAt(i: number, state: RunRecord['state'] = 'succeeded'): Message<Dispatch> {
  const event: CloudEvent = { specversion: '1.0', id: `e${i}`, source: 's', type: 't' };
  return message<Dispatch>({ event, runs: [run(state, i)], skipped: [], records: [] }, nth(i));
}

strategyBehaviour(
  'ParkFailedRuns',
  (next) => new ParkFailedRuns(next),
  (i) => dispatchAt(i),
);

describe('ParkFailedRuns', () => {
  it('given a dispatch with a failed run, when submitted, then it becomes an InvalidMessage naming the run and is not forwarded', () => {
    const next = new Collect<Dispatch>();
    const strategy = new ParkFailedRuns(next);
    strategy.submit(dispatchAt(0));
    const error = (() => {
      try {
        strategy.submit(dispatchAt(1, 'failed'));
      } catch (e) {
        return e;
      }
    })() as InvalidMessage;
    expect(error).toBeInstanceOf(InvalidMessage);
    expect([error.reason, error.rule, error.process, error.runId]).toEqual(['process', 'rule', 'p', 'r1']);
    expect(next.payloads.map((d) => d.event.id)).toEqual(['e0']);
  });
});

describe('DispatchProcesses republishing after a crash', () => {
  const event: CloudEvent = {
    specversion: '1.0',
    id: 'e1',
    source: 'shop',
    type: 'order.paid',
    time: '2026-11-24T10:00:00.000Z',
  };
  const process = defineProcess({
    name: 'bill',
    publish: true,
    steps: [{ name: 'price', run: () => ({ total: 12 }) }],
  });
  const evaluation = (): Message<Evaluation> =>
    message<Evaluation>(
      { event, matches: [{ rule: 'billing', process: 'bill', params: undefined }] },
      nth(0),
    );

  async function dispatchTwice(delivered: boolean) {
    const store = await openSqliteStore({ path: ':memory:' });
    // The event comes again after a crash: in a new process, with a journal of its own.
    const build = (next: Collect<Dispatch>, journal: Journal) =>
      new DispatchProcesses(
        {
          runner: new InlineRunner({ clock: { now: Date.now, sleep: async () => {} }, journal }),
          processes: new ProcessRegistry([process]),
          runs: store.runs,
          efforts: store.efforts,
          journal,
          group: 'g',
          source: 'local:orders',
          now: Date.now,
          signal: new AbortController().signal,
        },
        next,
      );
    const journal = new Journal();
    const first = new Collect<Dispatch>();
    const a = build(first, journal);
    await feed(a, [evaluation()]);
    await finish(a);
    const runId = runIdOf('g', event, 'billing');
    const batch = journal.take();
    await store.flush({
      ...batch,
      efforts: delivered
        ? [
            {
              id: 'ef1',
              sink: 'local:results',
              recordId: runId,
              runId,
              createdAt: 0,
              attempts: 1,
              retries: 0,
              history: [],
              culmination: 'delivered',
              updatedAt: 0,
            },
          ]
        : [],
    });
    const again = new Collect<Dispatch>();
    const b = build(again, new Journal());
    await feed(b, [evaluation()]);
    await finish(b);
    await store.close();
    return { first: first.payloads[0]!, again: again.payloads[0]!, runId };
  }

  it('given a run that succeeded but whose record was never delivered, when the event comes again, then the run is skipped and its record published again', async () => {
    const { first, again, runId } = await dispatchTwice(false);
    expect(first.records.map((r) => r.id)).toEqual([runId]);
    expect(again.skipped).toEqual([runId]);
    expect(again.runs).toEqual([]);
    expect(again.records.map((r) => [r.id, JSON.parse(new TextDecoder().decode(r.value)).output])).toEqual([
      [runId, { total: 12 }],
    ]);
  });

  it('given a run whose record was delivered, when the event comes again, then nothing is published again', async () => {
    const { again, runId } = await dispatchTwice(true);
    expect(again.skipped).toEqual([runId]);
    expect(again.records).toEqual([]);
  });
});
