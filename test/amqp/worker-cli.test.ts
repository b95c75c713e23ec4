import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import { agentctl, startAgentctl, writeConfig } from '../support/cli.js';
import { AMQP_URL, rabbitmqAvailable, serviceSuite } from '../support/services.js';
import { tempDir } from '../support/temp.js';
import { events } from './support/agent.js';
import { BrokerAdmin, uniqueName } from './support/broker.js';

const available = await rabbitmqAvailable();

interface Status {
  readonly runs: { readonly byProcess: readonly { process: string; state: string; count: number }[] };
}

describe.skipIf(!available)(serviceSuite('agentctl worker', available, 'RabbitMQ', 'AMQP_URL'), () => {
  it('Given consume --runner queue and a worker, When events arrive, Then status --json shows the runs the worker did as succeeded', async () => {
    const admin = await BrokerAdmin.open();
    onTestFinished(() => admin.cleanup());
    const queue = await admin.queue(uniqueName('cli-src'));
    const endpoint = uniqueName('cli-ep');
    admin.track(`${endpoint}.tasks`, `${endpoint}.results`, `${endpoint}.results.orders`);
    await admin.send(queue, events(25));
    const dir = tempDir('worker-cli-');
    writeConfig(
      dir,
      `{
        name: 'orders',
        source: '${AMQP_URL}?queue=${queue}',
        runner: { kind: 'queue', endpoint: '${endpoint}', url: '${AMQP_URL}' },
        publisher: { sink: 'none' },
        consumer: { heartbeatMs: 100 },
        rules: [rule({ name: 'check-created', on: 'submission.created', process: 'check' })],
        processes: [defineProcess({ name: 'check', steps: [{ name: 'look', run: ({ event }) => ({ seen: event.id }) }] })],
      }`,
    );

    const worker = startAgentctl(['worker', '--json', '--concurrency', '4'], { cwd: dir });
    onTestFinished(() => {
      if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
    });
    const consumed = agentctl(['consume', '--runner', 'queue', '--until-empty', '--json'], { cwd: dir });
    expect(consumed.code, consumed.stderr).toBe(0);
    let status: Status | undefined;
    for (let i = 0; i < 100; i++) {
      status = agentctl(['status', '--json'], { cwd: dir }).json<Status>();
      if (status.runs.byProcess.some((r) => r.state === 'succeeded' && r.count === 25)) break;
      await delay(100);
    }
    worker.child.kill('SIGTERM');
    const stopped = await worker.done;

    expect(status?.runs.byProcess).toEqual([{ process: 'check', state: 'succeeded', count: 25 }]);
    expect(stopped.code, stopped.stderr).toBe(0);
    const lines = stopped.lines<{ type: string; executed?: number; broker?: string }>();
    expect(lines[0]?.type).toBe('started');
    expect(lines[0]?.broker).not.toContain('guest:guest');
    expect(lines.at(-1)).toMatchObject({ type: 'summary', executed: 25, waiting: 0 });
    expect(stopped.stdout).not.toMatch(/guest:guest@/);
  });

  it('Given a worker whose step returns results JSON cannot hold, When it runs them, Then those runs fail naming step, process and why, and are parked', async () => {
    const admin = await BrokerAdmin.open();
    onTestFinished(() => admin.cleanup());
    const queue = await admin.queue(uniqueName('cli-src'));
    const endpoint = uniqueName('cli-ep');
    admin.track(`${endpoint}.tasks`, `${endpoint}.results`);
    await admin.send(queue, events(10));
    const dir = tempDir('worker-cli-');
    writeConfig(
      dir,
      `{
        name: 'orders',
        source: '${AMQP_URL}?queue=${queue}',
        runner: { kind: 'queue', endpoint: '${endpoint}', url: '${AMQP_URL}' },
        publisher: { sink: 'none' },
        consumer: { heartbeatMs: 100 },
        rules: [rule({ name: 'check-created', on: 'submission.created', process: 'check' })],
        processes: [defineProcess({ name: 'check', steps: [{ name: 'look', run: ({ event }) => {
          if (event.data.n === 2) return { weight: 10n };
          if (event.data.n === 5) { let deep = {}; for (let i = 0; i < 100000; i++) deep = { deep }; return deep; }
          return { seen: event.id };
        } }] })],
      }`,
    );

    const worker = startAgentctl(['worker', '--json', '--concurrency', '4'], { cwd: dir });
    onTestFinished(() => {
      if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
    });
    let parked: { eventId?: string; process?: string; error: string }[] = [];
    for (let i = 0; i < 15 && parked.length < 2; i++) {
      const consumed = agentctl(['consume', '--runner', 'queue', '--until-empty', '--json'], { cwd: dir });
      expect(consumed.code, consumed.stderr).toBe(0);
      parked = agentctl(['failed', 'list', '--json'], { cwd: dir }).json();
      if (parked.length < 2) await delay(200);
    }
    worker.child.kill('SIGTERM');
    const stopped = await worker.done;

    expect(stopped.code, stopped.stderr).toBe(0);
    expect(stopped.stderr).not.toContain('Maximum call stack');
    expect(stopped.lines<{ type: string }>().at(-1)).toMatchObject({
      type: 'summary',
      executed: 10,
      waiting: 0,
    });
    const why = 'step "look": its result, the output of process "check", cannot be stored as JSON';
    expect(parked.sort((a, b) => (a.eventId! < b.eventId! ? -1 : 1))).toEqual([
      expect.objectContaining({
        eventId: 'evt-2',
        process: 'check',
        error: expect.stringContaining(`${why}: a BigInt`),
      }),
      expect.objectContaining({
        eventId: 'evt-5',
        process: 'check',
        error: expect.stringContaining(`${why}: nested deeper than 256 levels`),
      }),
    ]);
  });
});
