import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

function startWorker(dir: string, args: readonly string[] = []) {
  const worker = startAgentctl(['worker', '--json', '--concurrency', '4', ...args], { cwd: dir });
  onTestFinished(() => {
    if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
  });
  return worker;
}

function consume(dir: string, args: readonly string[] = []) {
  const consumed = agentctl(['consume', '--runner', 'queue', '--until-empty', '--json', ...args], {
    cwd: dir,
    timeoutMs: 120_000,
  });
  expect(consumed.code, consumed.stderr).toBe(0);
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
      const worker = startWorker(dir);

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
  },
);
