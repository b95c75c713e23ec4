import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import { agentctl, startAgentctl, writeConfig } from '../support/cli.js';
import { AMQP_URL, rabbitmqAvailable, serviceSuite } from '../support/services.js';
import { tempDir } from '../support/temp.js';
import { events } from './support/agent.js';
import { BrokerAdmin, uniqueName } from './support/broker.js';

const available = await rabbitmqAvailable();

interface Summary {
  readonly type: string;
  readonly runs: Readonly<Record<string, number>>;
}

interface Status {
  readonly runs: { readonly byProcess: readonly { process: string; state: string; count: number }[] };
}

/**
 * A temp dir with an agent `name` on the embedded log whose `check` runs go to `endpoint`'s workers.
 * `check` fails (fatally) while the file `broken` exists in the dir, and waits `stepMs` per run.
 */
function agentDir(
  endpoint: string,
  options: { name?: string; stepMs?: number; resultWaitMs?: number; dir?: string; file?: string } = {},
): string {
  const dir = options.dir ?? tempDir('queue-delivery-');
  const body = `{
    name: '${options.name ?? 'orders'}',
    source: 'local:events',
    runner: { kind: 'queue', endpoint: '${endpoint}', url: '${AMQP_URL}' },
    publisher: { sink: 'none' },
    consumer: { heartbeatMs: 100 },
    adapters: { amqp: { resultWaitMs: ${options.resultWaitMs ?? 2_000} } },
    rules: [rule({ name: 'check-created', on: 'submission.created', process: 'check' })],
    processes: [defineProcess({ name: 'check', steps: [{ name: 'look', run: async ({ event }) => {
      await new Promise((resolve) => setTimeout(resolve, ${options.stepMs ?? 0}));
      if (existsSync(join(${JSON.stringify(dir)}, 'broken'))) throw new FatalError('broken');
      return { seen: event.id };
    } }] })],
  }`;
  const path = writeConfig(
    dir,
    body,
    "import { existsSync } from 'node:fs';\nimport { join } from 'node:path';",
  );
  if (options.file !== undefined) renameSync(path, join(dir, options.file));
  return dir;
}

function publishEvents(dir: string, n: number, args: readonly string[] = []): void {
  writeFileSync(join(dir, 'events.ndjson'), `${events(n).join('\n')}\n`);
  const published = agentctl(['publish', '--file', 'events.ndjson', ...args], { cwd: dir });
  expect(published.code, published.stderr).toBe(0);
}

/** Starts `agentctl worker` in `dir` and waits until it consumes `endpoint`'s tasks. */
async function startWorker(admin: BrokerAdmin, dir: string, endpoint: string, concurrency = 4) {
  const worker = startAgentctl(['worker', '--json', '--concurrency', String(concurrency)], { cwd: dir });
  onTestFinished(() => {
    if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
  });
  for (let i = 0; ; i++) {
    const { consumers } = await admin.depth(`${endpoint}.tasks`).catch(() => ({ consumers: 0 }));
    if (consumers > 0) break;
    if (i > 300 || worker.child.exitCode !== null)
      throw new Error(`worker did not start: ${worker.stderr()}`);
    await delay(50);
  }
  return worker;
}

function consume(dir: string, args: readonly string[] = []) {
  const consumed = agentctl(['consume', '--runner', 'queue', '--until-empty', '--json', ...args], {
    cwd: dir,
    timeoutMs: 120_000,
  });
  expect(consumed.code, consumed.stderr).toBe(0);
  if (process.env.DEBUG_CLI) console.log(consumed.stdout, consumed.stderr);
  const lines = consumed.lines<Summary & { message?: string }>();
  return { summary: lines.at(-1)!, warnings: lines.filter((l) => l.type === 'warning') };
}

function runsOf(dir: string, args: readonly string[] = []) {
  return agentctl(['status', '--json', ...args], { cwd: dir }).json<Status>().runs.byProcess;
}

describe.skipIf(!available)(
  serviceSuite('consume --runner queue with agentctl worker: delivery', available, 'RabbitMQ', 'AMQP_URL'),
  () => {
    it('Given runs that failed on a worker, When their events are read again after the cause is fixed, Then the worker runs them again and they end succeeded, not pending', async () => {
      const admin = await BrokerAdmin.open();
      onTestFinished(() => admin.cleanup());
      const endpoint = uniqueName('redo');
      admin.track(`${endpoint}.tasks`, `${endpoint}.results`, `${endpoint}.results.orders`);
      const dir = agentDir(endpoint);
      writeFileSync(join(dir, 'broken'), '');
      const worker = await startWorker(admin, dir, endpoint);

      publishEvents(dir, 3);
      const first = consume(dir);
      expect(first.summary.runs).toMatchObject({ failed: 3, pending: 0 });

      // The cause is fixed, and the producer sends the same events again (same ids): they are re-read.
      rmSync(join(dir, 'broken'));
      publishEvents(dir, 3);
      const second = consume(dir);
      worker.child.kill('SIGTERM');
      const stopped = await worker.done;

      expect(second.summary.runs).toMatchObject({ succeeded: 3, failed: 0, pending: 0 });
      expect(runsOf(dir)).toEqual([{ process: 'check', state: 'succeeded', count: 3 }]);
      expect(stopped.lines<{ type: string }>().at(-1)).toMatchObject({
        type: 'summary',
        executed: 6,
        failed: 3,
        succeeded: 3,
      });
    });

    it('Given workers slower than resultWaitMs in all, When consume --until-empty dispatched its runs, Then it waits while their results come in and exits with none pending', async () => {
      const admin = await BrokerAdmin.open();
      onTestFinished(() => admin.cleanup());
      const endpoint = uniqueName('slow');
      admin.track(`${endpoint}.tasks`, `${endpoint}.results`, `${endpoint}.results.orders`);
      const dir = agentDir(endpoint, { stepMs: 40, resultWaitMs: 1_000 });
      const worker = await startWorker(admin, dir, endpoint, 1);
      publishEvents(dir, 60);

      const consumed = consume(dir);
      worker.child.kill('SIGTERM');
      await worker.done;

      expect(consumed.summary.runs).toMatchObject({ succeeded: 60, pending: 0 });
      expect(consumed.warnings).toEqual([]);
      expect(runsOf(dir)).toEqual([{ process: 'check', state: 'succeeded', count: 60 }]);
    });

    it('Given consume --until-empty left runs pending, When the workers finish them later, Then the next consume --until-empty records every result before it exits', async () => {
      const admin = await BrokerAdmin.open();
      onTestFinished(() => admin.cleanup());
      const endpoint = uniqueName('cron');
      admin.track(`${endpoint}.tasks`, `${endpoint}.results`, `${endpoint}.results.orders`);
      const n = 2_000;
      const dir = agentDir(endpoint, { resultWaitMs: 500 });
      publishEvents(dir, n);

      // No worker yet: the first cron run dispatches everything, gives up waiting, and says so.
      const first = consume(dir);
      expect(first.summary.runs).toMatchObject({ pending: n, succeeded: 0 });
      expect
        .soft(first.warnings.map((w) => w.message))
        .toEqual([
          expect.stringMatching(
            new RegExp(`^${n} run\\(s\\) stay pending: no result came from the workers for 500 ms`),
          ),
        ]);

      const worker = await startWorker(admin, dir, endpoint, 8);
      for (let i = 0; i < 600 && (await admin.depth(`${endpoint}.tasks`)).ready > 0; i++) await delay(100);
      worker.child.kill('SIGTERM');
      const stopped = await worker.done;
      expect(stopped.lines<{ type: string }>().at(-1)).toMatchObject({
        executed: n,
        published: n,
        waiting: 0,
      });

      // The next cron run has nothing to read: it still records what the workers did.
      const second = consume(dir);

      expect(second.summary).toMatchObject({ read: 0, runs: { pending: 0 } });
      expect(second.warnings).toEqual([]);
      expect(runsOf(dir)).toEqual([{ process: 'check', state: 'succeeded', count: n }]);
    });
  },
);
