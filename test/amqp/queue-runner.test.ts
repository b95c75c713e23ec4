import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import { FatalError } from '../../src/core/errors/fatal-error.js';
import type { CloudEvent } from '../../src/core/events/cloud-event.js';
import { defineProcess, type ProcessDefinition, ProcessRegistry } from '../../src/core/processes/process.js';
import { queueRunner } from '../../src/core/remote/queue-runner.js';
import { encodeTask, type ResultMessage } from '../../src/core/remote/task-message.js';
import { WorkerService } from '../../src/core/remote/worker-service.js';
import { rule } from '../../src/core/rules/rule.js';
import type { SqliteStateStore } from '../../src/core/store/sqlite/sqlite-state-store.js';
import { openStore, publish, submissionEvents, testAgent } from '../core/agent/fixtures.js';
import { AMQP_URL, rabbitmqAvailable, serviceSuite } from '../support/services.js';
import { tempDir } from '../support/temp.js';
import { BrokerAdmin, uniqueName } from './support/broker.js';
import { TcpProxy } from './support/tcp-proxy.js';

const available = await rabbitmqAvailable();

/** A process `work` that counts executions per event and takes `ms` per run; `fail` ids fail fatally. */
function work(counts: Map<string, number>, ms: number, fail: ReadonlySet<string> = new Set()) {
  return defineProcess({
    name: 'work',
    steps: [
      {
        name: 'do',
        run: async ({ event }) => {
          counts.set(event.id, (counts.get(event.id) ?? 0) + 1);
          await delay(ms);
          if (fail.has(event.id)) throw new FatalError(`cannot do ${event.id}`);
          return { done: event.id };
        },
      },
    ],
  }) as ProcessDefinition<CloudEvent, never>;
}

interface Setup {
  readonly endpoint: string;
  readonly store: SqliteStateStore;
  readonly admin: BrokerAdmin;
  readonly dir: string;
  readonly settings: Record<string, Record<string, unknown>>;
}

async function setup(amqp: Record<string, unknown> = {}): Promise<Setup> {
  const admin = await BrokerAdmin.open();
  onTestFinished(() => admin.cleanup());
  const endpoint = uniqueName('ep');
  admin.track(`${endpoint}.tasks`, `${endpoint}.results`, `${endpoint}.results.test-agent`);
  const dir = tempDir('queue-runner-');
  const store = await openStore(dir);
  onTestFinished(() => store.close());
  const settings = {
    amqp: {
      resultWaitMs: 20_000,
      reconnectBaseMs: 100,
      reconnectMaxMs: 500,
      publishTimeoutMs: 1_000,
      ...amqp,
    },
  };
  return { endpoint, store, admin, dir, settings };
}

function worker(
  s: Setup,
  id: string,
  process: ProcessDefinition<CloudEvent, never>,
  url = AMQP_URL,
  concurrency = 2,
) {
  const service = new WorkerService({
    url,
    endpoint: s.endpoint,
    processes: new ProcessRegistry([process]),
    outboxPath: join(s.dir, `${id}.db`),
    concurrency,
    settings: s.settings,
    id,
  });
  const done = service.run();
  onTestFinished(async () => {
    service.terminate();
    await done.catch(() => undefined);
  });
  return { service, done };
}

/** An agent on the local log whose `work` runs go to the endpoint's workers. */
function queueAgent(
  s: Setup,
  process: ProcessDefinition<CloudEvent, never>,
  consumer: { readonly untilEmpty?: boolean } = {},
) {
  return testAgent(s.store, {
    rules: [rule({ name: 'work-created', on: 'submission.created', process: 'work' })],
    processes: [process],
    runner: queueRunner({
      url: AMQP_URL,
      endpoint: s.endpoint,
      store: s.store,
      group: 'test-agent',
      settings: s.settings,
    }),
    consumer,
  });
}

/** Runs an agent over `n` events of the local log whose runs go to the endpoint's workers. */
async function runAgent(s: Setup, n: number, process: ProcessDefinition<CloudEvent, never>) {
  await publish(s.store, submissionEvents(n));
  return queueAgent(s, process).run();
}

/** A task of run `id` of the agent `group` for `event`, as a queue runner dispatches it. */
function task(s: Setup, id: string, event: CloudEvent, dispatch: string, group = 'test-agent'): Buffer {
  return encodeTask({
    format: 'agentctl.task/1',
    run: {
      id,
      group,
      eventId: event.id,
      eventType: event.type,
      rule: 'work-created',
      process: 'work',
      state: 'pending',
      attempts: 0,
      steps: [],
      createdAt: 1,
      updatedAt: 1,
      runner: 'queue',
    },
    process: 'work',
    rule: 'work-created',
    params: undefined,
    event,
    endpoint: s.endpoint,
    dispatchedAt: 1,
    dispatch,
  });
}

/** Waits for `n` results on `queue` and takes them. */
async function takeResults(s: Setup, queue: string, n: number): Promise<ResultMessage[]> {
  await eventually(async () => (await s.admin.depth(queue)).ready >= n, `${n} results on ${queue}`);
  return (await s.admin.drain(queue)).map((r) => JSON.parse(r) as ResultMessage);
}

async function eventually(probe: () => Promise<boolean> | boolean, what: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(25);
  }
}

describe.skipIf(!available)(
  serviceSuite('QueueRunner and workers', available, 'RabbitMQ', 'AMQP_URL'),
  () => {
    it('Given two workers on a shared endpoint, When an agent dispatches runs, Then both take tasks and every run is recorded as succeeded', async () => {
      const s = await setup({ taskConsumers: 'shared' });
      const counts = new Map<string, number>();
      const w1 = worker(s, 'w1', work(counts, 20));
      const w2 = worker(s, 'w2', work(counts, 20));
      await eventually(
        async () =>
          (await s.admin.depth(`${s.endpoint}.tasks`).catch(() => ({ consumers: 0 }))).consumers === 2,
        'two consumers',
      );

      const summary = await runAgent(s, 60, work(new Map(), 0));
      w1.service.requestDrain();
      w2.service.requestDrain();
      const [r1, r2] = await Promise.all([w1.done, w2.done]);

      expect(summary.runs.succeeded).toBe(60);
      expect(r1.executed).toBeGreaterThan(0);
      expect(r2.executed).toBeGreaterThan(0);
      expect(r1.executed + r2.executed).toBe(60);
      expect([...counts.values()].every((c) => c === 1)).toBe(true);
      expect(await s.store.runs.countByState('test-agent')).toEqual([
        { process: 'work', state: 'succeeded', count: 60 },
      ]);
      const workers = new Set((await s.store.runs.list({ group: 'test-agent' })).map((r) => r.worker));
      expect(workers).toEqual(new Set(['w1', 'w2']));
    });

    it('Given two workers on a single-active endpoint, When the active one drains, Then only it worked until then and the other takes over', async () => {
      const s = await setup();
      const counts = new Map<string, number>();
      const w1 = worker(s, 'w1', work(counts, 30));
      await eventually(
        async () =>
          (await s.admin.depth(`${s.endpoint}.tasks`).catch(() => ({ consumers: 0 }))).consumers === 1,
        'w1',
      );
      const w2 = worker(s, 'w2', work(counts, 30));
      await eventually(async () => (await s.admin.depth(`${s.endpoint}.tasks`)).consumers === 2, 'w2');

      const agent = runAgent(s, 40, work(new Map(), 0));
      await eventually(() => counts.size >= 10, '10 runs');
      const standby = w2.service.stats.runs.succeeded + w2.service.inFlight;
      w1.service.requestDrain();
      const r1 = await w1.done;
      const summary = await agent;
      w2.service.requestDrain();
      const r2 = await w2.done;

      expect(standby).toBe(0);
      expect(r1.executed).toBeGreaterThan(0);
      expect(r2.executed).toBeGreaterThan(0);
      expect(r1.executed + r2.executed).toBe(40);
      expect(summary.runs.succeeded).toBe(40);
    });

    it('Given a worker cut off from the broker while it runs tasks, When the broker is back, Then it publishes the results it kept and runs nothing twice', async () => {
      const s = await setup();
      const proxy = await TcpProxy.start();
      onTestFinished(() => proxy.close());
      const counts = new Map<string, number>();
      const w = worker(s, 'cut', work(counts, 400), proxy.url(), 4);

      const agent = runAgent(s, 8, work(new Map(), 0));
      await eventually(() => counts.size >= 4, 'four running tasks');
      proxy.cut();
      await eventually(() => w.service.waitingResults >= 4, 'results kept while cut off', 5_000);
      const keptWhileCut = w.service.waitingResults;
      await delay(300);
      proxy.restore();
      const summary = await agent;
      w.service.requestDrain();
      const result = await w.done;

      expect(keptWhileCut).toBeGreaterThanOrEqual(4);
      expect(summary.runs.succeeded).toBe(8);
      expect(counts.size).toBe(8);
      expect([...counts.values()].every((c) => c === 1)).toBe(true);
      expect(result.executed).toBe(8);
      expect(result.duplicates).toBeGreaterThanOrEqual(1);
      expect(result.waiting).toBe(0);
      expect(await s.store.runs.countByState('test-agent')).toEqual([
        { process: 'work', state: 'succeeded', count: 8 },
      ]);
    });

    it('Given results of an earlier session waiting on the results queue, When an agent with nothing to dispatch starts, Then it records them', async () => {
      const s = await setup({ resultWaitMs: 0 });
      const first = await runAgent(s, 20, work(new Map(), 0));
      expect(first.runs.pending).toBe(20);

      // The workers come after the agent left: their results wait on the results queue.
      const w = worker(s, 'w', work(new Map(), 0));
      await eventually(
        async () => (await s.admin.depth(`${s.endpoint}.results.test-agent`)).ready === 20,
        'twenty results waiting',
      );
      w.service.requestDrain();
      await w.done;

      const stop = new AbortController();
      const second = queueAgent(s, work(new Map(), 0), { untilEmpty: false });
      const running = second.run(stop.signal);
      try {
        await eventually(
          async () =>
            (await s.store.runs.countByState('test-agent')).some(
              (c) => c.state === 'succeeded' && c.count === 20,
            ),
          'the earlier runs recorded as succeeded',
        );
      } finally {
        stop.abort();
        await running.catch(() => undefined);
      }
      expect((await s.admin.depth(`${s.endpoint}.results.test-agent`)).ready).toBe(0);
    });

    it('Given runs a worker finished, When tasks of them come again, Then it answers every one with a result: a success or a redelivered failure from its outbox, a failure dispatched again by running it again', async () => {
      const s = await setup();
      const counts = new Map<string, number>();
      const fails = new Set(['evt-2']);
      const w = worker(s, 'w', work(counts, 0, fails));
      const [e1, e2] = submissionEvents(2, 1);
      const tasks = `${s.endpoint}.tasks`;
      const results = `${s.endpoint}.results`;
      await eventually(
        async () => (await s.admin.depth(tasks).catch(() => ({ consumers: 0 }))).consumers === 1,
        'w',
      );
      await s.admin.send(tasks, [task(s, 'run-1', e1!, 'd1'), task(s, 'run-2', e2!, 'd2')]);
      const first = await takeResults(s, results, 2);

      // run-1 succeeded: dispatched again (d3). run-2 failed: redelivered (d2), then dispatched again (d4).
      fails.clear();
      await s.admin.send(tasks, [task(s, 'run-1', e1!, 'd3'), task(s, 'run-2', e2!, 'd2')]);
      const answered = await takeResults(s, results, 2);
      await s.admin.send(tasks, [task(s, 'run-2', e2!, 'd4')]);
      const rerun = await takeResults(s, results, 1);
      w.service.requestDrain();
      const summary = await w.done;

      const states = (rs: ResultMessage[]) => rs.map((r) => `${r.run.id} ${r.run.state}`).sort();
      expect(states(first)).toEqual(['run-1 succeeded', 'run-2 failed']);
      expect(states(answered)).toEqual(['run-1 succeeded', 'run-2 failed']);
      expect(states(rerun)).toEqual(['run-2 succeeded']);
      expect(counts).toEqual(
        new Map([
          ['evt-1', 1],
          ['evt-2', 2],
        ]),
      );
      expect(summary).toMatchObject({ executed: 3, duplicates: 2, waiting: 0 });
    });

    it('Given many results of an earlier session waiting on the results queue, When an until-empty agent with nothing to read runs, Then it records every one before it returns', async () => {
      const s = await setup({ resultWaitMs: 0 });
      const n = 1_500;
      const first = await runAgent(s, n, work(new Map(), 0));
      expect(first.runs.pending).toBe(n);
      const w = worker(s, 'w', work(new Map(), 0), AMQP_URL, 16);
      await eventually(async () => (await s.admin.depth(`${s.endpoint}.tasks`)).ready === 0, 'tasks taken');
      w.service.requestDrain();
      expect(await w.done).toMatchObject({ published: n, waiting: 0 });

      const patient = { ...s, settings: { amqp: { ...s.settings.amqp, resultWaitMs: 2_000 } } };
      const warnings: string[] = [];
      const second = queueAgent(patient, work(new Map(), 0));
      second.telemetry.on('warning', (e) => warnings.push(e.message));
      const summary = await second.run();

      expect(summary).toMatchObject({ read: 0, stoppedBy: 'empty' });
      expect.soft(warnings).toEqual([]);
      expect(await s.store.runs.countByState('test-agent')).toEqual([
        { process: 'work', state: 'succeeded', count: n },
      ]);
    });

    it('Given no worker, When an until-empty agent dispatched runs, Then it waits resultWaitMs for results and warns that they stay pending', async () => {
      const s = await setup({ resultWaitMs: 300 });
      const warnings: string[] = [];
      await publish(s.store, submissionEvents(5));
      const agent = queueAgent(s, work(new Map(), 0));
      agent.telemetry.on('warning', (e) => warnings.push(e.message));

      const summary = await agent.run();

      expect(summary.runs).toMatchObject({ pending: 5, succeeded: 0 });
      expect(warnings).toEqual([
        `5 run(s) stay pending: no result came from the workers for 300 ms (adapters.amqp.resultWaitMs); the next agent "test-agent" on endpoint ${s.endpoint} records their results`,
      ]);
    });

    it('Given two agents of different names on one endpoint reading the same events, When both dispatch at once, Then the worker runs the tasks of each and each agent records its own results', async () => {
      const s = await setup({ taskConsumers: 'shared' });
      s.admin.track(`${s.endpoint}.results.orders`, `${s.endpoint}.results.billing`);
      const counts = new Map<string, number>();
      worker(s, 'w', work(counts, 5), AMQP_URL, 8);
      const agentOf = async (name: string) => {
        const store = await openStore(tempDir(`queue-runner-${name}-`));
        onTestFinished(() => store.close());
        await publish(store, submissionEvents(50));
        const agent = testAgent(store, {
          name,
          rules: [rule({ name: 'work-created', on: 'submission.created', process: 'work' })],
          processes: [work(new Map(), 0)],
          runner: queueRunner({
            url: AMQP_URL,
            endpoint: s.endpoint,
            store,
            group: name,
            settings: s.settings,
          }),
        });
        return { store, agent };
      };
      const orders = await agentOf('orders');
      const billing = await agentOf('billing');

      const [a, b] = await Promise.all([orders.agent.run(), billing.agent.run()]);

      expect(a.runs).toMatchObject({ succeeded: 50, pending: 0 });
      expect(b.runs).toMatchObject({ succeeded: 50, pending: 0 });
      expect([...counts.values()]).toEqual(Array(50).fill(2));
      for (const [name, { store }] of [
        ['orders', orders],
        ['billing', billing],
      ] as const) {
        const runs = await store.runs.list({ group: name });
        expect(runs.map((r) => `${r.group} ${r.state}`)).toEqual(Array(50).fill(`${name} succeeded`));
      }
    });

    it('Given a process that publishes its output, When an agent runs it on workers, Then it warns that the output is not published', async () => {
      const s = await setup({ resultWaitMs: 0 });
      const agent = queueAgent(s, { ...work(new Map(), 0), publish: true });
      const warnings: string[] = [];
      agent.telemetry.on('warning', (e) => warnings.push(e.message));

      await agent.run();

      expect(warnings.filter((w) => w.includes('"work" publishes its output'))).toHaveLength(1);
    });

    it('Given a run that fails on the worker, When its result arrives, Then the run is failed and the event parked for replay', async () => {
      const s = await setup();
      const fails = new Set(['evt-1']);
      const w = worker(s, 'w', work(new Map(), 0, fails));

      const summary = await runAgent(s, 3, work(new Map(), 0));
      w.service.requestDrain();
      await w.done;

      expect(summary.runs).toMatchObject({ succeeded: 2, failed: 1, pending: 0 });
      const failed = await s.store.runs.list({ group: 'test-agent', state: 'failed' });
      expect(failed.map((r) => [r.eventId, r.worker, r.error])).toEqual([
        ['evt-1', 'w', 'step "do": cannot do evt-1'],
      ]);
      const parked = await s.store.failed.list({ group: 'test-agent' });
      expect(parked.map((p) => [p.reason, p.eventId, p.runId])).toEqual([['task', 'evt-1', failed[0]!.id]]);
      expect(JSON.parse(Buffer.from(parked[0]!.raw).toString()).id).toBe('evt-1');
    });
  },
);
