import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, type AgentSummary } from '../../src/core/agent/agent.js';
import { FatalError } from '../../src/core/errors/fatal-error.js';
import { TransientError } from '../../src/core/errors/transient-error.js';
import type { CloudEvent } from '../../src/core/events/cloud-event.js';
import { defineProcess, type ProcessDefinition, ProcessRegistry } from '../../src/core/processes/process.js';
import { MemorySink } from '../../src/core/publish/sinks/memory-sink.js';
import { rule } from '../../src/core/rules/rule.js';
import { RuleSet } from '../../src/core/rules/rule-set.js';
import { LocalSource } from '../../src/core/sources/local-source.js';
import { openSqliteStore } from '../../src/core/store/sqlite/sqlite-state-store.js';
import { EffectLog, type Incarnation, SIM_START as START } from './effects.js';
import { FaultySource } from './faulty-source.js';
import { Checker, type Invariant, type PlacedRecord } from './invariants.js';
import { Random } from './random.js';
import type { GroupSpec, ProcessName, Scenario, SimEventData, Window } from './scenario.js';
import { describeScenario, STEP_RETRIES } from './scenario.js';
import { installSimulationGlobals, realTurn, SimClock } from './sim-clock.js';
import { CrashedError, type Mutation, SimStore } from './sim-store.js';

/** The slot number of a group's sweep agent (see the driver loop). */
const SWEEP = -1;

const TOPIC = 'events';
/**
 * Nothing the scenarios do legitimately pauses all progress this long (slow steps ≤ 0.8 s, leases ≤ 2 s,
 * outages ≤ 3 s, the source's offline backoff then < 4 s): a scenario without progress for so long is stuck.
 */
const STUCK_MS = 10_000;
const SOURCE_ID = `local:${TOPIC}`;
const encoder = new TextEncoder();

/** What one scenario gave. */
export interface Outcome {
  readonly seed: number;
  readonly kind: Scenario['kind'];
  readonly description: string;
  readonly violations: ReadonlyMap<Invariant, readonly string[]>;
  /** Successful run executions (side effects), all agents together. */
  readonly executions: number;
  /** Re-executions of runs whose first agent crashed before flushing them (the documented window). */
  readonly crashWindow: number;
  /** Re-executions of runs whose first agent lost its lease before flushing them. */
  readonly takeoverWindow: number;
  readonly crashes: number;
  readonly simulatedMs: number;
  readonly realMs: number;
}

interface Running {
  readonly incarnation: Incarnation;
  readonly agent: Agent;
  readonly store: SimStore;
  readonly sink: MemorySink;
  readonly untilEmpty: boolean;
  draining: boolean;
  done: boolean;
  result?: AgentSummary;
  error?: unknown;
}

interface Action {
  readonly at: number;
  readonly order: number;
  readonly starts: boolean;
  readonly run: () => Promise<void> | void;
}

/**
 * Runs one scenario on the real engine: agents (real `Agent`, `StreamProcessor`, strategies, runners,
 * publisher, lease assignor) on one real SQLite store file, reading the local log through a
 * fault-injecting source, on simulated time. The driver is a discrete-event loop: it lets every
 * microtask run (a real event-loop turn), then either performs the next scheduled fault or wakes the
 * next sleeper of the simulated clock, one at a time. Store calls are synchronous (no writer thread),
 * so nothing but the seed decides the interleaving.
 */
export interface RunOptions {
  /** Prints what happens: agents starting, crashing, stopping; assignments, commits, warnings, faults. */
  readonly trace?: (line: string) => void;
  /** Breaks the store on purpose, to show the invariant checks fire (see `MUTATIONS`). */
  readonly mutation?: Mutation;
}

export async function runScenario(scenario: Scenario, options: RunOptions = {}): Promise<Outcome> {
  const { trace, mutation } = options;
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'agentctl-sim-'));
  const path = join(dir, 'agent.db');
  const clock = new SimClock(START);
  const restore = installSimulationGlobals(clock, new Random(scenario.seed, 'math-random').next);
  const running: Running[] = [];
  let checker: Checker | undefined;
  const effects = new EffectLog((runId) => checker?.durable(runId) ?? false);
  let crashes = 0;
  try {
    const records = await seedLog(path, clock, scenario);
    checker = new Checker(path, scenario, records, effects, SOURCE_ID);
    const flushRandom = new Random(scenario.seed, 'flush');
    /** When a run last succeeded or a checkpoint last moved: a scenario without either for long is stuck. */
    let lastProgress = clock.now();
    let executions = 0;
    const slots = new Map<string, Running | undefined>();
    const incarnations = new Map<string, number>();

    const note = (line: string) => trace?.(`  +${clock.now() - START}ms ${line}`);
    /** Slot -1 is the sweep: one until-empty agent started when every agent stopped and work is left. */
    const start = async (group: GroupSpec, slot: number) => {
      const untilEmpty = slot === SWEEP ? true : group.agents[slot]!.untilEmpty;
      const key = slot === SWEEP ? `${group.name}-sweep` : `${group.name}-${slot}`;
      const n = (incarnations.get(key) ?? 0) + 1;
      incarnations.set(key, n);
      const incarnation: Incarnation = {
        id: scenario.stableIds ? key : `${key}#${n}`,
        group: group.name,
        crashed: false,
        lookups: new Map(),
      };
      const inner = await openSqliteStore({ path, clock, writerThread: false });
      const store = new SimStore(inner, clock, {
        ...(mutation === undefined ? {} : { mutation }),
        flushLatency: () => flushRandom.int(scenario.flushLatencyMs.min, scenario.flushLatencyMs.max),
        afterFlush: (writes, result) => {
          if (trace !== undefined && writes.length > 0) {
            const refused = new Set(result.rejected);
            const list = writes.map(
              (w) =>
                `p${w.partition}@${w.position}${w.fence ? `/${w.fence.counter}` : ''}${refused.has(w) ? ' REFUSED' : ''}`,
            );
            note(`${incarnation.id} commits ${list.join(' ')}`);
          }
          if (writes.length > result.rejected.length) lastProgress = clock.now();
          checker!.afterFlush();
        },
        onLookup: (ids, states) => {
          for (const id of ids) {
            incarnation.lookups.set(id, { said: states.get(id) ?? 'absent', durable: checker!.durable(id) });
          }
        },
      });
      const source = new FaultySource(
        new LocalSource({ store, topic: TOPIC, group: group.name, idleMs: 50, clock }),
        {
          reorder: scenario.reorder,
          pollDelay: scenario.pollDelay,
          outages: group.sourceOutages,
          origin: START,
        },
        new Random(scenario.seed, `source:${incarnation.id}`),
        clock,
      );
      const sink = new MemorySink({ name: `sink-${group.name}`, clock, latencyMs: 2 });
      sink.setDown(within(group.sinkOutages, clock.now() - START));
      const agent = new Agent({
        name: group.name,
        id: incarnation.id,
        store,
        source,
        rules: new RuleSet(group.rules.map((r) => rule({ name: r.name, on: r.on, process: r.process }))),
        processes: new ProcessRegistry(processesFor(incarnation, effects, clock)),
        runner: group.runner,
        publisher: {
          sink,
          contingency: { maxRetries: 3, kind: 'exponential', baseMs: 20, maxMs: 200, jitter: 0 },
          disableAfter: 5,
          coolDownMs: 500,
        },
        consumer: {
          untilEmpty,
          drainTimeoutMs: group.drainTimeoutMs,
          leaseTtlMs: group.leaseTtlMs,
          heartbeatMs: group.heartbeatMs,
          commitPolicy: group.commitPolicy,
          pollMax: group.pollMax,
          poisonLimit: { maxConsecutive: 10_000, maxRatio: 1, window: 1_000 },
        },
        clock,
      });
      if (trace !== undefined) {
        agent.telemetry.on('assigned', (e) => note(`${incarnation.id} assigned ${JSON.stringify(e.starts)}`));
        agent.telemetry.on('revoked', (e) =>
          note(`${incarnation.id} revoked ${e.partitions.join(',')} (${e.reason})`),
        );
        agent.telemetry.on('warning', (e) => note(`${incarnation.id} warning: ${e.message}`));
      }
      const handle: Running = { incarnation, agent, store, sink, untilEmpty, draining: false, done: false };
      running.push(handle);
      slots.set(key, handle);
      note(`${incarnation.id} starts${untilEmpty ? ' (until empty)' : ' (long-running)'}`);
      agent.run().then(
        (result) => {
          handle.done = true;
          handle.result = result;
          note(
            `${incarnation.id} stopped by ${result.stoppedBy}: read ${result.read}, processed ${result.processed}, parked ${result.parked}, skipped runs ${result.skippedRuns}`,
          );
        },
        (error: unknown) => {
          handle.done = true;
          handle.error = error;
          note(`${incarnation.id} failed: ${String(error)}`);
        },
      );
    };

    const crash = async (handle: Running, counted = true) => {
      note(`${handle.incarnation.id} ${counted ? 'crashes' : 'is killed (end of scenario)'}`);
      if (counted) crashes++;
      handle.incarnation.crashed = true;
      handle.store.crashed = true;
      handle.agent.terminate();
      await handle.store.close();
    };

    const actions: Action[] = [];
    let order = 0;
    const at = (ms: number, starts: boolean, run: Action['run']) =>
      actions.push({ at: START + ms, order: order++, starts, run });
    for (const group of scenario.groups) {
      group.agents.forEach((slot, i) => {
        at(slot.startAt, true, () => start(group, i));
        if (slot.leaveAt !== undefined) {
          at(slot.leaveAt, false, () => {
            const handle = slots.get(`${group.name}-${i}`);
            if (handle === undefined || handle.done) return;
            note(`${handle.incarnation.id} leaves (drain)`);
            handle.draining = true;
            handle.agent.requestDrain();
          });
        }
      });
      for (const c of group.crashes) {
        const key = `${group.name}-${c.slot}`;
        at(c.at, false, async () => {
          const handle = slots.get(key);
          if (handle === undefined || handle.done || handle.incarnation.crashed) return;
          await crash(handle);
          at(c.at + c.restartAfter, true, () => start(group, c.slot));
          actions.sort(byTime);
        });
      }
      for (const s of group.stalls) {
        at(s.at, false, () => {
          const handle = slots.get(`${group.name}-${s.slot}`);
          if (handle === undefined || handle.done) return;
          note(`${handle.incarnation.id} stalls for ${s.forMs} ms (lease ttl ${group.leaseTtlMs} ms)`);
          handle.store.stalledUntil = clock.now() + s.forMs;
        });
      }
      for (const w of group.sinkOutages) {
        const toggle = (down: boolean) => () => {
          note(`sink of ${group.name} ${down ? 'down' : 'up'}`);
          for (const h of running) if (h.incarnation.group === group.name) h.sink.setDown(down);
        };
        at(w.at, false, toggle(true));
        at(w.at + w.forMs, false, toggle(false));
      }
    }
    actions.sort(byTime);

    const limit = START + scenario.limitMs;
    const swept = new Set<string>();
    let finished = false;
    for (;;) {
      await realTurn();
      await realTurn();
      while (actions.length > 0 && actions[0]!.at <= clock.now()) {
        await actions.shift()!.run();
        await realTurn();
      }
      // Long-running agents are asked to leave once their group has caught up with the log.
      for (const handle of running) {
        if (handle.done || handle.untilEmpty || handle.draining || handle.incarnation.crashed) continue;
        if (!checker.caughtUp(handle.incarnation.group)) continue;
        note(`${handle.incarnation.id} asked to drain: its group caught up`);
        handle.draining = true;
        handle.agent.requestDrain();
      }
      if (running.every((h) => h.done) && !actions.some((a) => a.starts)) {
        // As an operator's next (cron) run would: a group whose agents all stopped before it caught up —
        // the last one left by drain, say — gets one more until-empty agent, at once.
        const behind = scenario.groups.filter((g) => !swept.has(g.name) && !checker!.caughtUp(g.name));
        if (behind.length === 0) {
          finished = true;
          break;
        }
        for (const group of behind) {
          swept.add(group.name);
          note(`${group.name} is behind with every agent stopped: a sweep agent starts`);
          at(clock.now() - START, true, () => start(group, SWEEP));
        }
        actions.sort(byTime);
        continue;
      }
      if (effects.total !== executions) {
        executions = effects.total;
        lastProgress = clock.now();
      }
      if (clock.now() - lastProgress > STUCK_MS && actions.length === 0) {
        const stuck = running.filter((h) => !h.done && h.untilEmpty).map((h) => h.incarnation.id);
        const what = stuck.length > 0 ? 'not-finished' : 'not-done';
        const who = stuck.length > 0 ? `until-empty agents ${stuck.join(', ')}` : 'long-running agents';
        checker.report(
          what,
          `no run and no checkpoint moved for ${STUCK_MS / 1000} s (simulated) from +${lastProgress - START}ms; ${who} still running`,
        );
        break;
      }
      const nextSleeper = clock.nextAt;
      const nextAction = actions[0]?.at;
      const next = Math.min(nextSleeper ?? Number.POSITIVE_INFINITY, nextAction ?? Number.POSITIVE_INFINITY);
      if (next === Number.POSITIVE_INFINITY) {
        checker.report(
          'not-finished',
          `deadlock at ${clock.now() - START} ms: agents wait and nothing is scheduled`,
        );
        break;
      }
      if (next > limit) {
        const stuck = running.filter((h) => !h.done && h.untilEmpty).map((h) => h.incarnation.id);
        if (stuck.length > 0) {
          checker.report(
            'not-finished',
            `until-empty agents still running after ${scenario.limitMs} ms (simulated): ${stuck.join(', ')}`,
          );
        } else {
          const resident = running.filter((h) => !h.done).map((h) => h.incarnation.id);
          checker.report(
            'not-done',
            `groups never caught up in ${scenario.limitMs} ms (simulated); long-running agents left: ${resident.join(', ')}`,
          );
        }
        break;
      }
      if (nextAction !== undefined && nextAction <= (nextSleeper ?? Number.POSITIVE_INFINITY)) {
        clock.moveTo(nextAction);
      } else {
        clock.wakeNext();
      }
    }
    const simulatedMs = clock.now() - START;
    for (const handle of running) {
      if (handle.done) continue;
      await crash(handle, false);
    }
    await realTurn();
    if (finished) {
      for (const handle of running) {
        if (handle.incarnation.crashed) continue;
        if (handle.error !== undefined && !(handle.error instanceof CrashedError)) {
          checker.report('agent-error', `${handle.incarnation.id}: ${String(handle.error)}`);
        } else if (handle.result && !['empty', 'drain'].includes(handle.result.stoppedBy)) {
          checker.report('agent-error', `${handle.incarnation.id} stopped by ${handle.result.stoppedBy}`);
        }
      }
    }
    checker.finish();
    return {
      seed: scenario.seed,
      kind: scenario.kind,
      description: describeScenario(scenario),
      violations: checker.violations,
      executions: effects.total,
      crashWindow: effects.crashWindow,
      takeoverWindow: effects.takeoverWindow,
      crashes,
      simulatedMs,
      realMs: Math.round(performance.now() - started),
    };
  } finally {
    for (const handle of running) await handle.store.close().catch(() => undefined);
    checker?.close();
    restore();
    rmSync(dir, { recursive: true, force: true });
  }
}

function byTime(a: Action, b: Action): number {
  return a.at - b.at || a.order - b.order;
}

function within(windows: readonly Window[], t: number): boolean {
  return windows.some((w) => t >= w.at && t < w.at + w.forMs);
}

/** Creates the store file and appends the scenario's records; returns where each landed. */
async function seedLog(path: string, clock: SimClock, scenario: Scenario): Promise<PlacedRecord[]> {
  const store = await openSqliteStore({ path, clock, writerThread: false });
  try {
    await store.log.ensureTopic(TOPIC, scenario.partitions);
    const places = await store.log.append(
      TOPIC,
      scenario.entries.map((e) => ({
        value: encoder.encode(e.event ? JSON.stringify(e.event) : e.poison!),
        partition: e.partition,
      })),
    );
    return scenario.entries.map((entry, i) => ({ ...places[i]!, entry }));
  } finally {
    await store.close();
  }
}

/**
 * The processes of one agent. `work` does what the event asks (sleep, fail for good, fail a few times);
 * `effect` is the side effect: it writes the execution into the effect log, which judges repeats.
 */
function processesFor(
  incarnation: Incarnation,
  effects: EffectLog,
  clock: SimClock,
): ProcessDefinition<CloudEvent, never>[] {
  const make = (name: ProcessName, publish: boolean) =>
    defineProcess<CloudEvent, unknown>({
      name,
      publish,
      retry: { maxRetries: STEP_RETRIES, kind: 'constant', baseMs: 20, maxMs: 20, jitter: 0 },
      steps: [
        {
          name: 'work',
          run: ({ event, attempt, signal }) => {
            const data = event.data as SimEventData;
            if (data.slowMs !== undefined) {
              return clock.sleep(data.slowMs, signal).then(() => outcome(data, attempt, incarnation));
            }
            return outcome(data, attempt, incarnation);
          },
        },
        {
          name: 'effect',
          run: ({ event, run }) => {
            if (incarnation.crashed) throw new FatalError('simulated crash: no effect');
            effects.complete(incarnation, event.id, run.rule, run.id, clock.now());
            return { by: incarnation.id };
          },
        },
      ],
    }) as ProcessDefinition<CloudEvent, never>;
  return [make('notify', true), make('charge', false), make('audit', false)];
}

function outcome(data: SimEventData, attempt: number, incarnation: Incarnation): string {
  if (incarnation.crashed) throw new TransientError('simulated crash');
  if (data.fail === 'fatal') throw new FatalError(`simulated fatal failure of event ${data.n}`);
  if (data.fail === 'exhaust') throw new TransientError(`simulated failure of event ${data.n}, every try`);
  if (data.fail === 'transient' && attempt <= (data.failTimes ?? 0)) {
    throw new TransientError(`simulated failure of event ${data.n}, try ${attempt}`);
  }
  return 'ok';
}
