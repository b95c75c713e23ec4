import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openSqliteStore } from '../../src/core/store/sqlite/sqlite-state-store.js';
import { rabbitmqAvailable, serviceSuite } from '../support/services.js';
import { tempDir } from '../support/temp.js';
import { events } from './support/agent.js';
import { amqpUri, BrokerAdmin, uniqueName } from './support/broker.js';

const available = await rabbitmqAvailable();
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHILD = fileURLToPath(new URL('./fixtures/amqp-agent-child.ts', import.meta.url));

function start(db: string, uri: string) {
  const child = spawn(process.execPath, ['--import', 'jiti/register', CHILD, db, uri], { cwd: ROOT });
  onTestFinished(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  let progress = 0;
  const waiters: { at: number; resolve: () => void }[] = [];
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const m of stdout.matchAll(/progress (\d+)/g)) progress = Math.max(progress, Number(m[1]));
    for (const w of waiters.filter((w) => progress >= w.at)) w.resolve();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child: child as ChildProcessWithoutNullStreams,
    exited,
    output: () => `${stdout}\n${stderr}`,
    reached: (at: number) =>
      new Promise<void>((resolve, reject) => {
        if (progress >= at) resolve();
        waiters.push({ at, resolve });
        void exited.then(() => reject(new Error(`child exited before ${at}: ${stdout}\n${stderr}`)));
      }),
  };
}

describe.skipIf(!available)(
  serviceSuite('AMQP consumer killed with -9', available, 'RabbitMQ', 'AMQP_URL'),
  () => {
    it('Given an agent killed with SIGKILL mid-way, When it starts again, Then every event is processed and the queue is empty', async () => {
      const admin = await BrokerAdmin.open();
      onTestFinished(() => admin.cleanup());
      const queue = await admin.queue(uniqueName('crash'), 'quorum');
      await admin.send(queue, events(3_000));
      const db = join(tempDir('amqp-crash-'), 'agent.db');
      const uri = amqpUri(`queue=${queue}&type=quorum&prefetch=100`);

      const first = start(db, uri);
      await first.reached(800);
      first.child.kill('SIGKILL');
      expect(await first.exited).toBeNull();
      const second = start(db, uri);
      expect(await second.exited, second.output()).toBe(0);

      const store = await openSqliteStore({ path: db, readonly: true });
      onTestFinished(() => store.close());
      const runs = await store.runs.countByState('amqp-test');
      expect(runs).toEqual([{ process: 'count', state: 'succeeded', count: 3_000 }]);
      const summary = JSON.parse(
        second
          .output()
          .trim()
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .at(-1)!,
      );
      // The second run got what the first had not acked, and skipped what the first had already done.
      expect(summary.read).toBeLessThan(3_000);
      expect(summary.read).toBeGreaterThanOrEqual(3_000 - 800 - 100);
      expect(await admin.depth(queue)).toEqual({ ready: 0, consumers: 0 });
    });
  },
);
