import { afterAll, describe, expect, it } from 'vitest';
import { type Clock, nextTurn, systemClock } from '../../../src/core/clock.js';
import { FatalError } from '../../../src/core/errors/fatal-error.js';
import { TransientError } from '../../../src/core/errors/transient-error.js';
import type { CloudEvent } from '../../../src/core/events/cloud-event.js';
import { runIdOf } from '../../../src/core/model/run-id.js';
import { Stats } from '../../../src/core/model/stats.js';
import {
  defineProcess,
  type ProcessDefinition,
  ProcessRegistry,
  type StepContext,
} from '../../../src/core/processes/process.js';
import { rule } from '../../../src/core/rules/rule.js';
import { RuleSet } from '../../../src/core/rules/rule-set.js';
import { InlineRunner } from '../../../src/core/runners/inline-runner.js';
import { PoolRunner } from '../../../src/core/runners/pool-runner.js';
import { Journal } from '../../../src/core/store/journal.js';
import { openSqliteStore } from '../../../src/core/store/sqlite/sqlite-state-store.js';
import type { RunStore } from '../../../src/core/store/state-store.js';
import { type Dispatch, DispatchProcesses } from '../../../src/core/strategies/dispatch-processes.js';
import type { Evaluation } from '../../../src/core/strategies/evaluate-rules.js';
import { ParkFailedRuns } from '../../../src/core/strategies/park-failed-runs.js';
import {
  InvalidMessage,
  MessageRejected,
  type ProcessingStrategy,
} from '../../../src/core/strategies/processing-strategy.js';
import type { Message } from '../../../src/core/types.js';
import { Collect } from '../../support/collect.js';
import { message, nth } from '../../support/messages.js';
import { feed, finish, strategyBehaviour } from './strategy-behaviour.js';

/** Shared by the behaviour suite, which never flushes to it: every lookup finds nothing. */
const emptyStore = await openSqliteStore({ path: ':memory:' });
afterAll(() => emptyStore.close());

const SOURCE = 'local:orders';

function eventOf(i: number): CloudEvent {
  return {
    specversion: '1.0',
    id: `e${i}`,
    type: i % 2 === 1 ? 'order.paid' : 'order.created',
    source: 'shop',
    time: new Date(1_700_000_000_000 + i * 1_000).toISOString(),
    data: { amount: 10 + i },
  };
}

/** `audit` every order, then `bill` the paid ones. */
const standardRules = new RuleSet([
  rule({ name: 'audit', on: 'order.*', process: 'auditing' }),
  rule({ name: 'bill', on: 'order.paid', process: 'billing', params: (e) => ({ amount: amountOf(e) }) }),
]);

const amountOf = (event: CloudEvent) => (event.data as { amount: number }).amount;

/** The i-th evaluation: event `e{i}` with what `rules` match, at `nth(i)`'s coordinates. */
function evaluationAt(i: number, rules: RuleSet = standardRules, event = eventOf(i)): Message<Evaluation> {
  const at = nth(i);
  return message<Evaluation>(
    { event, matches: rules.evaluate(event) },
    { partition: at.partition, position: at.position, timestamp: at.timestamp },
  );
}

/** Every step call, as `event/rule/step`. */
type Calls = string[];

const callOf = (ctx: StepContext, step: string) => `${ctx.event.id}/${ctx.run.rule}/${step}`;

/**
 * `auditing` (one step) and `billing` (two steps, the second using the first's result). `delay` makes a
 * step asynchronous: it takes that many turns of the event loop.
 */
function standardProcesses(calls: Calls, delay?: (ctx: StepContext) => number): ProcessDefinition[] {
  const step =
    (name: string, result: (ctx: StepContext) => unknown) =>
    (ctx: StepContext): unknown => {
      calls.push(callOf(ctx, name));
      const turns = delay?.(ctx) ?? -1;
      if (turns < 0) return result(ctx);
      return (async () => {
        for (let t = 0; t < turns; t++) await nextTurn();
        return result(ctx);
      })();
    };
  return [
    defineProcess({
      name: 'auditing',
      steps: [{ name: 'record', run: step('record', (ctx) => ({ audited: ctx.event.id })) }],
    }),
    defineProcess({
      name: 'billing',
      steps: [
        { name: 'price', run: step('price', (ctx) => (ctx.params as { amount: number }).amount) },
        { name: 'charge', run: step('charge', (ctx) => ({ charged: ctx.results.price })) },
      ],
    }),
  ];
}

/** A process whose steps never finish (they only record that their signal aborted). */
function hangingProcesses(aborted: AbortSignal[] = [], started: AbortSignal[] = []): ProcessDefinition[] {
  const hang = (ctx: StepContext) =>
    new Promise<never>(() => {
      started.push(ctx.signal);
      ctx.signal.addEventListener('abort', () => aborted.push(ctx.signal), { once: true });
    });
  return [
    defineProcess({ name: 'auditing', steps: [{ name: 'record', run: hang }] }),
    defineProcess({ name: 'billing', steps: [{ name: 'price', run: hang }] }),
  ];
}

type RunnerKind = 'inline' | 'pool';

interface RigOptions {
  readonly runner?: RunnerKind;
  readonly concurrency?: number;
  readonly processes?: readonly ProcessDefinition[];
  readonly runs?: Pick<RunStore, 'lookup'>;
  readonly journal?: Journal;
  readonly maxPending?: number;
  readonly clock?: Clock;
  readonly stats?: Stats;
}

/** A dispatcher over real runners, a real registry and (by default) the empty SQLite store. */
function build(options: RigOptions, next: ProcessingStrategy<Dispatch>) {
  const journal = options.journal ?? new Journal();
  const clock = options.clock ?? systemClock;
  const calls: Calls = [];
  const context = { clock, journal };
  const runner =
    options.runner === 'pool' ? new PoolRunner(context, options.concurrency ?? 4) : new InlineRunner(context);
  const processes = new ProcessRegistry(options.processes ?? standardProcesses(calls));
  const dispatch = new DispatchProcesses(
    {
      runner,
      processes,
      runs: options.runs ?? emptyStore.runs,
      journal,
      group: 'billing',
      source: SOURCE,
      now: () => clock.now(),
      signal: new AbortController().signal,
      worker: 'agent-1',
      ...(options.maxPending === undefined ? {} : { maxPending: options.maxPending }),
      ...(options.stats === undefined ? {} : { stats: options.stats }),
    },
    next,
  );
  return { dispatch, journal, calls };
}

/** The dispatcher as in the standard pipeline: events with a failed run are parked right behind it. */
function rig(options: RigOptions = {}, next = new Collect<Dispatch>()) {
  return { ...build(options, new ParkFailedRuns(next)), next };
}

/** Event i's steps take `i % 4` turns: events finish out of submission order. */
const uneven = (ctx: StepContext) => Number(ctx.event.id.slice(1)) % 4;

// The failure law does not apply: a failed step becomes an `InvalidMessage` whose cause is rebuilt from
// the run record's error text (records are plain data), so the original error is not in its cause chain;
// failed steps are tested below.
strategyBehaviour(
  'DispatchProcesses on an InlineRunner',
  (next) => build({}, next).dispatch,
  (i) => evaluationAt(i),
  { hanging: (next) => build({ processes: hangingProcesses() }, next).dispatch },
);

strategyBehaviour(
  'DispatchProcesses on a PoolRunner of 4',
  (next) => build({ runner: 'pool', processes: standardProcesses([], uneven) }, next).dispatch,
  (i) => evaluationAt(i),
  { hanging: (next) => build({ runner: 'pool', processes: hangingProcesses() }, next).dispatch },
);

strategyBehaviour(
  'DispatchProcesses on a PoolRunner of 2 with 3 pending at most',
  (next) =>
    build({ runner: 'pool', concurrency: 2, maxPending: 3, processes: standardProcesses([], uneven) }, next)
      .dispatch,
  (i) => evaluationAt(i),
);

/** Feeds like the processor, then closes and joins; returns the errors met on the way. */
async function drive(dispatch: DispatchProcesses, inputs: readonly Message<Evaluation>[]) {
  const errors: unknown[] = [];
  await feed(dispatch, inputs, errors);
  await finish(dispatch, errors);
  return errors;
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Polls, letting the event loop turn, until `done()` (or gives up after `turns`). */
async function pollUntil(dispatch: DispatchProcesses, done: () => boolean, turns = 1_000) {
  for (let t = 0; t < turns && !done(); t++) {
    void dispatch.poll();
    await nextTurn();
  }
}

describe.each<RunnerKind>(['inline', 'pool'])('DispatchProcesses on the %s runner', (runner) => {
  const delay = runner === 'pool' ? uneven : undefined;

  it('given matched events, when dispatched, then every run executes once and each Dispatch is forwarded in submission order', async () => {
    const calls: Calls = [];
    const { dispatch, next, journal } = rig({ runner, processes: standardProcesses(calls, delay) });
    const inputs = Array.from({ length: 12 }, (_, i) => evaluationAt(i));
    expect(await drive(dispatch, inputs)).toEqual([]);
    expect(next.payloads.map((d) => d.event.id)).toEqual(inputs.map((m) => m.payload.event.id));
    expect(next.messages.map((m) => [m.partition, m.position])).toEqual(
      inputs.map((m) => [m.partition, m.position]),
    );
    const expected = inputs.flatMap(({ payload: { event } }) =>
      event.type === 'order.paid'
        ? [`${event.id}/audit/record`, `${event.id}/bill/price`, `${event.id}/bill/charge`]
        : [`${event.id}/audit/record`],
    );
    expect([...calls].sort()).toEqual([...expected].sort());
    const paid = next.payloads[1]!;
    expect(paid.skipped).toEqual([]);
    expect(paid.runs.map((r) => [r.id, r.rule, r.process, r.state, r.runner, r.worker])).toEqual([
      [runIdOf('billing', paid.event, 'audit'), 'audit', 'auditing', 'succeeded', runner, 'agent-1'],
      [runIdOf('billing', paid.event, 'bill'), 'bill', 'billing', 'succeeded', runner, 'agent-1'],
    ]);
    expect(paid.runs[1]?.output).toEqual({ charged: 11 });
    expect(paid.runs[0]?.origin).toEqual({ source: SOURCE, partition: 'p1', position: '0' });
    const batch = journal.take();
    expect(batch.ledger.length + batch.runs.length).toBe(18);
  });

  it('given an event that matches two rules, when dispatched, then its runs execute one after the other in rule order', async () => {
    const log: string[] = [];
    const traced = (name: string) => async (ctx: StepContext) => {
      log.push(`start ${ctx.event.id}/${ctx.run.rule}`);
      for (let t = 0; t < 3 - Number(ctx.event.id.slice(1)); t++) await nextTurn();
      log.push(`end ${ctx.event.id}/${ctx.run.rule}`);
      return name;
    };
    const { dispatch, next } = rig({
      runner,
      processes: [
        defineProcess({ name: 'auditing', steps: [{ name: 'record', run: traced('record') }] }),
        defineProcess({ name: 'billing', steps: [{ name: 'price', run: traced('price') }] }),
      ],
    });
    expect(await drive(dispatch, [evaluationAt(1), evaluationAt(3)])).toEqual([]);
    expect(next.payloads.map((d) => d.event.id)).toEqual(['e1', 'e3']);
    for (const id of ['e1', 'e3']) {
      const own = log.filter((entry) => entry.endsWith(`${id}/audit`) || entry.endsWith(`${id}/bill`));
      expect(own).toEqual([`start ${id}/audit`, `end ${id}/audit`, `start ${id}/bill`, `end ${id}/bill`]);
    }
  });

  it('given runs that already succeeded in the store, when the event is dispatched again, then they are skipped and their steps not called', async () => {
    const store = await openSqliteStore({ path: ':memory:' });
    try {
      let chargeTries = 0;
      const calls: Calls = [];
      const processes = standardProcesses(calls, delay).map((p) =>
        p.name !== 'billing'
          ? p
          : defineProcess({
              ...p,
              retry: { maxRetries: 2, baseMs: 1, maxMs: 1, jitter: 0 },
              steps: [
                p.steps[0]!,
                {
                  name: 'charge',
                  run: (ctx: StepContext) => {
                    calls.push(callOf(ctx, 'charge'));
                    // Fails once: this run is written in full, the other one to the ledger.
                    if (chargeTries++ === 0) throw new TransientError('gateway timeout');
                    return 'charged';
                  },
                },
              ],
            }),
      );
      const first = rig({ runner, processes, runs: store.runs });
      expect(await drive(first.dispatch, [evaluationAt(1)])).toEqual([]);
      const written = first.journal.take();
      expect([written.ledger.length, written.runs.length]).toEqual([1, 1]);
      await store.flush(written);
      const before = calls.length;

      const stats = new Stats();
      const again = rig({ runner, processes, runs: store.runs, stats });
      expect(await drive(again.dispatch, [evaluationAt(1), evaluationAt(2)])).toEqual([]);
      const event = eventOf(1);
      expect(again.next.payloads[0]).toMatchObject({
        runs: [],
        skipped: [runIdOf('billing', event, 'audit'), runIdOf('billing', event, 'bill')],
        records: [],
      });
      expect(again.next.payloads[1]?.runs.map((r) => r.rule)).toEqual(['audit']);
      expect(calls.slice(before)).toEqual(['e2/audit/record']);
      expect(stats.skippedRuns).toBe(2);
      expect(again.journal.take().ledger.map((r) => r.eventId)).toEqual(['e2']);
    } finally {
      await store.close();
    }
  });

  it('given runs that succeeded in the unflushed journal, when the event is redelivered, then they are skipped and their steps not called', async () => {
    const journal = new Journal();
    const calls: Calls = [];
    const processes = standardProcesses(calls, delay);
    const first = rig({ runner, processes, journal });
    expect(await drive(first.dispatch, [evaluationAt(3)])).toEqual([]);
    const before = calls.length;
    const again = rig({ runner, processes, journal });
    expect(await drive(again.dispatch, [evaluationAt(3)])).toEqual([]);
    expect(again.next.payloads[0]?.skipped).toEqual([
      runIdOf('billing', eventOf(3), 'audit'),
      runIdOf('billing', eventOf(3), 'bill'),
    ]);
    expect(again.next.payloads[0]?.runs).toEqual([]);
    expect(calls.length).toBe(before);
  });

  it('given the same event twice in one batch, when dispatched, then its runs execute once and the copy skips them', async () => {
    const calls: Calls = [];
    const { dispatch, next } = rig({ runner, processes: standardProcesses(calls, delay) });
    const copy = evaluationAt(9, standardRules, eventOf(3));
    expect(await drive(dispatch, [evaluationAt(3), evaluationAt(4), copy])).toEqual([]);
    expect(calls.filter((c) => c.startsWith('e3/'))).toEqual([
      'e3/audit/record',
      'e3/bill/price',
      'e3/bill/charge',
    ]);
    expect(next.payloads.map((d) => d.skipped.length)).toEqual([0, 0, 2]);
  });

  it('given a run that succeeded and whose batch is being flushed while a lookup ran, when its copy starts, then the copy is skipped', async () => {
    const journal = new Journal();
    const calls: Calls = [];
    const processes = standardProcesses(calls, delay);
    const first = rig({ runner, processes, journal });
    expect(await drive(first.dispatch, [evaluationAt(3)])).toEqual([]);
    // Flushes under way (or done) that the copy's store lookup did not see: the store answers "unknown".
    journal.take();
    journal.take();
    const before = calls.length;
    const again = rig({ runner, processes, journal });
    expect(await drive(again.dispatch, [evaluationAt(3)])).toEqual([]);
    expect(calls.length).toBe(before);
    expect(again.next.payloads[0]?.skipped).toHaveLength(2);
  });

  it('given a run whose earlier execution failed and was flushed, when the event is dispatched again, then it runs again and is written in full', async () => {
    const store = await openSqliteStore({ path: ':memory:' });
    try {
      let broken = true;
      const calls: Calls = [];
      const processes = [
        ...standardProcesses(calls, delay).filter((p) => p.name !== 'billing'),
        defineProcess({
          name: 'billing',
          steps: [
            {
              name: 'price',
              run: (ctx: StepContext) => {
                calls.push(callOf(ctx, 'price'));
                if (broken) throw new FatalError('no price list');
                return 12;
              },
            },
          ],
        }),
      ];
      const first = rig({ runner, processes, runs: store.runs });
      const errors = await drive(first.dispatch, [evaluationAt(1)]);
      expect(errors).toHaveLength(1);
      await store.flush(first.journal.take());
      const billId = runIdOf('billing', eventOf(1), 'bill');
      expect((await store.runs.lookup([billId])).get(billId)).toBe('failed');

      broken = false;
      const again = rig({ runner, processes, runs: store.runs });
      expect(await drive(again.dispatch, [evaluationAt(1)])).toEqual([]);
      expect(again.next.payloads[0]).toMatchObject({ skipped: [runIdOf('billing', eventOf(1), 'audit')] });
      expect(again.next.payloads[0]?.runs.map((r) => [r.id, r.state])).toEqual([[billId, 'succeeded']]);
      const batch = again.journal.take();
      expect(batch.runs.map((r) => r.id)).toEqual([billId]);
      expect(batch.ledger).toEqual([]);
      await store.flush(batch);
      expect((await store.runs.get(billId))?.state).toBe('succeeded');
    } finally {
      await store.close();
    }
  });

  it('given a step that fails fatally, when dispatched, then the event is an InvalidMessage naming rule, process and run, and its other runs still ran', async () => {
    const calls: Calls = [];
    const rules = new RuleSet([
      rule({ name: 'check', on: 'order.*', process: 'checking' }),
      rule({ name: 'audit', on: 'order.*', process: 'auditing' }),
    ]);
    const { dispatch, next, journal } = rig({
      runner,
      processes: [
        ...standardProcesses(calls, delay),
        defineProcess({
          name: 'checking',
          steps: [
            {
              name: 'validate',
              run: (ctx: StepContext) => {
                calls.push(callOf(ctx, 'validate'));
                if (ctx.event.id === 'e1') throw new FatalError('amount is negative');
                return true;
              },
            },
          ],
        }),
      ],
    });
    const inputs = [0, 1, 2].map((i) => evaluationAt(i, rules));
    const errors = await drive(dispatch, inputs);
    expect(errors).toHaveLength(1);
    const error = errors[0] as InvalidMessage;
    expect(error).toBeInstanceOf(InvalidMessage);
    expect([error.subject.partition, error.subject.position]).toEqual([
      inputs[1]!.partition,
      inputs[1]!.position,
    ]);
    expect([error.reason, error.rule, error.process, error.runId, error.attempts]).toEqual([
      'process',
      'check',
      'checking',
      runIdOf('billing', eventOf(1), 'check'),
      1,
    ]);
    expect((error.cause as Error).message).toContain('amount is negative');
    expect(calls).toContain('e1/audit/record');
    expect(next.payloads.map((d) => d.event.id)).toEqual(['e0', 'e2']);
    const batch = journal.take();
    const failed = batch.runs.find((r) => r.eventId === 'e1' && r.rule === 'check');
    expect(failed).toMatchObject({ state: 'failed', fatal: true });
    expect(batch.ledger.some((r) => r.eventId === 'e1' && r.rule === 'audit')).toBe(true);
  });

  it('given an asynchronous step and a step that succeeds after retries, when dispatched, then both runs succeed with every attempt recorded', async () => {
    let tries = 0;
    const { dispatch, next, journal } = rig({
      runner,
      processes: [
        defineProcess({
          name: 'auditing',
          steps: [
            {
              name: 'record',
              run: async () => {
                await nextTurn();
                return 'recorded';
              },
            },
          ],
        }),
        defineProcess({
          name: 'billing',
          retry: { maxRetries: 3, baseMs: 1, maxMs: 2, jitter: 0 },
          steps: [
            {
              name: 'price',
              run: () => {
                if (++tries < 3) throw new TransientError(`price service busy (${tries})`);
                return Promise.resolve(42);
              },
            },
          ],
        }),
      ],
    });
    expect(await drive(dispatch, [evaluationAt(1)])).toEqual([]);
    const [audit, bill] = next.payloads[0]!.runs;
    expect(audit).toMatchObject({ state: 'succeeded', output: 'recorded', attempts: 1 });
    expect(bill).toMatchObject({ state: 'succeeded', output: 42, attempts: 3 });
    expect(bill?.steps[0]?.history.map((a) => a.error)).toEqual([
      'price service busy (1)',
      'price service busy (2)',
      undefined,
    ]);
    const batch = journal.take();
    expect(batch.runs.map((r) => r.rule)).toEqual(['bill']);
    expect(batch.ledger.map((r) => r.rule)).toEqual(['audit']);
  });
});

describe('DispatchProcesses on a PoolRunner', () => {
  it('given concurrency 4 and slow steps, when many events are dispatched, then exactly 4 run at once, never more', async () => {
    let active = 0;
    let peak = 0;
    const gate = deferred();
    const slow = async () => {
      active++;
      peak = Math.max(peak, active);
      await gate.promise;
      active--;
      return 'ok';
    };
    const { dispatch, next } = rig({
      runner: 'pool',
      concurrency: 4,
      processes: [
        defineProcess({ name: 'auditing', steps: [{ name: 'record', run: slow }] }),
        defineProcess({ name: 'billing', steps: [{ name: 'price', run: slow }] }),
      ],
    });
    const inputs = Array.from({ length: 10 }, (_, i) => evaluationAt(i * 2));
    for (const input of inputs) dispatch.submit(input);
    await pollUntil(dispatch, () => active === 4);
    for (let t = 0; t < 20; t++) {
      void dispatch.poll();
      await nextTurn();
    }
    expect(active).toBe(4);
    gate.resolve();
    await finish(dispatch);
    expect(peak).toBe(4);
    expect(next.payloads.map((d) => d.event.id)).toEqual(inputs.map((m) => m.payload.event.id));
  });

  it('given a slow run in flight, when a copy of its event arrives (a redelivery), then the copy waits for it and is skipped, never run twice', async () => {
    const calls: Calls = [];
    const gate = deferred();
    const slow = defineProcess({
      name: 'auditing',
      steps: [
        {
          name: 'record',
          run: async (ctx) => {
            calls.push(callOf(ctx, 'record'));
            await gate.promise;
            return 'ok';
          },
        },
      ],
    });
    const rules = new RuleSet([rule({ name: 'audit', on: 'order.*', process: 'auditing' })]);
    const { dispatch, next } = rig({ runner: 'pool', concurrency: 4, processes: [slow] });
    dispatch.submit(evaluationAt(2, rules));
    await pollUntil(dispatch, () => calls.length === 1);
    dispatch.submit(evaluationAt(7, rules, eventOf(2)));
    await pollUntil(dispatch, () => false, 50);
    expect(calls).toEqual(['e2/audit/record']);
    gate.resolve();
    await pollUntil(dispatch, () => next.payloads.length === 2);
    expect(calls).toEqual(['e2/audit/record']);
    expect(next.payloads.map((d) => [d.runs.length, d.skipped.length])).toEqual([
      [1, 0],
      [0, 1],
    ]);
  });

  it('given maxPending events in flight, when polled, then poll returns a promise, and only then; submit rejects until one finishes', async () => {
    const gate = deferred();
    const { dispatch, next } = rig({
      runner: 'pool',
      concurrency: 2,
      maxPending: 3,
      processes: [
        defineProcess({ name: 'auditing', steps: [{ name: 'record', run: () => gate.promise }] }),
        defineProcess({ name: 'billing', steps: [{ name: 'price', run: () => gate.promise }] }),
      ],
    });
    dispatch.submit(evaluationAt(0));
    expect(dispatch.poll()).toBeUndefined();
    dispatch.submit(evaluationAt(2));
    expect(dispatch.poll()).toBeUndefined();
    dispatch.submit(evaluationAt(4));
    const waiting = dispatch.poll();
    expect(waiting).toBeInstanceOf(Promise);
    expect(() => dispatch.submit(evaluationAt(6))).toThrow(MessageRejected);
    let settled = false;
    void waiting?.then(() => {
      settled = true;
    });
    for (let t = 0; t < 10; t++) await nextTurn();
    expect(settled).toBe(false);
    gate.resolve();
    await waiting;
    expect(next.payloads.length).toBeGreaterThan(0);
    dispatch.submit(evaluationAt(6));
    await finish(dispatch);
    expect(next.payloads.map((d) => d.event.id)).toEqual(['e0', 'e2', 'e4', 'e6']);
  });

  it('given a full window whose events finished and a next step that rejects, when polled, then poll does not make the caller wait for nothing', async () => {
    const next = new Collect<Dispatch>().rejectNext(2);
    const { dispatch } = rig({ runner: 'pool', concurrency: 2, maxPending: 2 }, next);
    dispatch.submit(evaluationAt(0));
    dispatch.submit(evaluationAt(2));
    await pollUntil(dispatch, () => next.attempts >= 1);
    for (let t = 0; t < 10; t++) await nextTurn();
    expect(dispatch.poll()).toBeUndefined();
    expect(dispatch.poll()).toBeUndefined();
    expect(next.payloads.map((d) => d.event.id)).toEqual(['e0', 'e2']);
  });

  it('given a step that never finishes, when joined with a timeout, then join returns within it, joins the next step and aborts the step', async () => {
    const aborted: AbortSignal[] = [];
    const started: AbortSignal[] = [];
    const { dispatch, next } = rig({ runner: 'pool', processes: hangingProcesses(aborted, started) });
    dispatch.submit(evaluationAt(0));
    await pollUntil(dispatch, () => started.length === 1);
    dispatch.close();
    const begun = performance.now();
    await dispatch.join(40);
    expect(performance.now() - begun).toBeLessThan(500);
    expect(next.joined).toBe(true);
    expect(next.messages).toEqual([]);
    expect(aborted).toEqual(started);
  });

  it('given running steps, when terminated, then their signals abort and nothing is forwarded', async () => {
    const aborted: AbortSignal[] = [];
    const started: AbortSignal[] = [];
    const { dispatch, next } = rig({ runner: 'pool', processes: hangingProcesses(aborted, started) });
    for (const i of [0, 2, 4]) dispatch.submit(evaluationAt(i));
    await pollUntil(dispatch, () => started.length === 3);
    dispatch.terminate();
    expect(aborted).toHaveLength(3);
    expect(started.every((s) => s.aborted)).toBe(true);
    for (let t = 0; t < 5; t++) await nextTurn();
    expect(dispatch.poll()).toBeUndefined();
    expect(next.messages).toEqual([]);
    expect(next.terminated).toBe(true);
  });

  it('given a lookup under way, when terminated, then a later poll neither fails nor starts a run', async () => {
    const calls: Calls = [];
    const { dispatch } = rig({ runner: 'pool', processes: standardProcesses(calls) });
    dispatch.submit(evaluationAt(0));
    expect(dispatch.poll()).toBeUndefined();
    dispatch.terminate();
    for (let t = 0; t < 5; t++) await nextTurn();
    expect(() => dispatch.poll()).not.toThrow();
    await nextTurn();
    expect(calls).toEqual([]);
  });
});

describe('DispatchProcesses', () => {
  it('given a run store that fails, when polled, then its error surfaces', async () => {
    const broken = new Error('database disk image is malformed');
    const { dispatch } = rig({ runs: { lookup: () => Promise.reject(broken) } });
    dispatch.submit(evaluationAt(0));
    await expect(Promise.resolve().then(() => dispatch.poll())).rejects.toBe(broken);
  });

  it.each([
    [
      'throws',
      () => {
        throw new Error('no key for this customer');
      },
    ],
    ['returns a value that cannot be encoded', () => ({ value: { weight: 10n } })],
  ])(
    'given a publish option that %s, when its run succeeds, then the event is an InvalidMessage (reason publish) naming the run, and the next events go on',
    async (_, publish) => {
      const rules = new RuleSet([rule({ name: 'audit', on: 'order.*', process: 'auditing' })]);
      const next = new Collect<Dispatch>();
      const { dispatch } = build(
        {
          processes: [
            defineProcess({ name: 'auditing', publish, steps: [{ name: 'record', run: () => 1 }] }),
          ],
        },
        next,
      );
      const errors = await drive(dispatch, [evaluationAt(0, rules), evaluationAt(2, rules)]);
      expect(errors).toHaveLength(2);
      expect(errors[0]).toBeInstanceOf(InvalidMessage);
      expect(errors[0]).toMatchObject({ reason: 'publish', rule: 'audit', process: 'auditing' });
      expect((errors[0] as InvalidMessage).runId).toBe(runIdOf('billing', eventOf(0), 'audit'));
      expect(next.payloads).toEqual([]);
    },
  );

  it('given processes that publish, when their runs succeed, then the Dispatch carries one record per run, keyed by run id', async () => {
    const bytes = Uint8Array.of(1, 2, 3);
    const rules = new RuleSet([
      rule({ name: 'audit', on: 'order.*', process: 'auditing' }),
      rule({ name: 'bill', on: 'order.paid', process: 'billing' }),
      rule({ name: 'raw', on: 'order.paid', process: 'raw' }),
      rule({ name: 'quiet', on: 'order.paid', process: 'quiet' }),
    ]);
    const { dispatch, next } = rig({
      processes: [
        defineProcess({
          name: 'auditing',
          publish: true,
          steps: [{ name: 'record', run: () => ({ ok: 1 }) }],
        }),
        defineProcess({
          name: 'billing',
          publish: (output, ctx) => ({
            key: `customer-${ctx.event.id}`,
            value: { charged: output, run: ctx.runId, rule: ctx.rule, process: ctx.process },
            headers: { kind: 'charge' },
          }),
          steps: [{ name: 'charge', run: () => 25 }],
        }),
        defineProcess({
          name: 'raw',
          publish: () => ({ value: bytes }),
          steps: [{ name: 's', run: () => 0 }],
        }),
        defineProcess({ name: 'quiet', publish: () => undefined, steps: [{ name: 's', run: () => 0 }] }),
      ],
    });
    const event = { ...eventOf(1), subject: 'customer-7' };
    const input = evaluationAt(1, rules, event);
    expect(await drive(dispatch, [input])).toEqual([]);
    const dispatched = next.payloads[0]!;
    const [audit, bill, raw] = dispatched.records;
    expect(dispatched.records).toHaveLength(3);
    const auditRun = dispatched.runs[0]!;
    expect(audit).toMatchObject({
      id: runIdOf('billing', event, 'audit'),
      runId: runIdOf('billing', event, 'audit'),
      key: 'customer-7',
      timestamp: auditRun.finishedAt,
      origin: { source: SOURCE, partition: input.partition, position: input.position },
    });
    expect(JSON.parse(new TextDecoder().decode(audit?.value))).toEqual({
      runId: runIdOf('billing', event, 'audit'),
      eventId: 'e1',
      eventType: 'order.paid',
      rule: 'audit',
      process: 'auditing',
      output: { ok: 1 },
    });
    expect(bill).toMatchObject({
      id: runIdOf('billing', event, 'bill'),
      key: 'customer-e1',
      headers: { kind: 'charge' },
    });
    expect(JSON.parse(new TextDecoder().decode(bill?.value))).toEqual({
      charged: 25,
      run: runIdOf('billing', event, 'bill'),
      rule: 'bill',
      process: 'billing',
    });
    expect(raw?.id).toBe(runIdOf('billing', event, 'raw'));
    expect(raw?.value).toBe(bytes);
    expect(raw).not.toHaveProperty('key');
  });

  it('given a process with `publish: true` and an event without a subject, when its run succeeds, then the record is keyed by the event id', async () => {
    const { dispatch, next } = rig({
      processes: [
        defineProcess({ name: 'auditing', publish: true, steps: [{ name: 'record', run: () => undefined }] }),
        ...standardProcesses([]).filter((p) => p.name === 'billing'),
      ],
    });
    expect(await drive(dispatch, [evaluationAt(0)])).toEqual([]);
    const [record] = next.payloads[0]!.records;
    expect(record?.key).toBe('e0');
    expect(JSON.parse(new TextDecoder().decode(record?.value))).toMatchObject({ output: null });
  });

  it('given events submitted together, when their runs are planned, then the clock is read once for all their runs (createdAt)', async () => {
    let reads = 0;
    const clock: Clock = { now: () => 1_800_000_000_000 + 1_000 * reads++, sleep: systemClock.sleep };
    const { dispatch, next } = rig({ clock });
    const inputs = [1, 2, 5, 6].map((i) => evaluationAt(i));
    for (const input of inputs) dispatch.submit(input);
    await pollUntil(dispatch, () => next.payloads.length === inputs.length);
    const runs = next.payloads.flatMap((d) => d.runs);
    expect(runs.length).toBeGreaterThan(inputs.length);
    expect(new Set(runs.map((r) => r.createdAt))).toEqual(new Set([1_800_000_000_000]));
  });

  it('given an event no rule matched, when dispatched, then a Dispatch without runs is forwarded in its turn', async () => {
    const none = new RuleSet([]);
    const { dispatch, next } = rig();
    expect(await drive(dispatch, [evaluationAt(0), evaluationAt(1, none), evaluationAt(2)])).toEqual([]);
    expect(next.payloads.map((d) => [d.event.id, d.runs.length])).toEqual([
      ['e0', 1],
      ['e1', 0],
      ['e2', 1],
    ]);
  });

  it('when closed, then submit throws an error that is not MessageRejected', () => {
    const { dispatch } = rig();
    dispatch.close();
    expect(() => dispatch.submit(evaluationAt(0))).toThrow(/closed/);
  });
});
