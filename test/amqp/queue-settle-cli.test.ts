import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startAgentctl, writeConfig } from '../support/cli.js';
import { AMQP_URL, rabbitmqAvailable, serviceSuite } from '../support/services.js';
import { tempDir } from '../support/temp.js';
import { events } from './support/agent.js';
import { amqpUri, BrokerAdmin, uniqueName } from './support/broker.js';

const run = promisify(execFile);
const available = await rabbitmqAvailable();
const EVENTS = 60;
/** The retry backoff of the one slow event: far longer than acking the others can take. */
const BACKOFF_MS = 25_000;

/** Event ids whose step succeeded, one a line, written by the step itself. */
function succeeded(dir: string): string[] {
  try {
    return readFileSync(join(dir, 'done.log'), 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

/** The broker's own count of the queue's unacknowledged deliveries. */
async function unackedOf(queue: string): Promise<number | undefined> {
  const { stdout } = await run('rabbitmqctl', [
    'list_queues',
    '-q',
    '--no-table-headers',
    'name',
    'messages_unacknowledged',
  ]);
  for (const line of stdout.split('\n')) {
    const [name, unacked] = line.trim().split(/\s+/);
    if (name === queue) return Number(unacked);
  }
  return undefined;
}

async function rabbitmqctlWorks(): Promise<boolean> {
  return run('rabbitmqctl', ['list_queues', '-q', 'name']).then(
    () => true,
    () => false,
  );
}

const ctl = available && (await rabbitmqctlWorks());

describe.skipIf(!ctl)(
  serviceSuite('consume settles each queue message on its own', ctl, 'RabbitMQ and rabbitmqctl', 'AMQP_URL'),
  () => {
    it(`Given a quorum queue of ${EVENTS} events and consume with a pool of 8, When the first event's step fails once and waits out a ${BACKOFF_MS / 1000} s retry backoff, Then the broker shows every other delivery acked while it still waits, and it is acked once it succeeds`, async () => {
      const admin = await BrokerAdmin.open();
      onTestFinished(() => admin.cleanup());
      const queue = await admin.queue(uniqueName('settle'), 'quorum');
      await admin.send(queue, events(EVENTS));
      const dir = tempDir('queue-settle-');
      writeConfig(
        dir,
        `{
          name: 'settle',
          publisher: { sink: 'none' },
          runner: { kind: 'pool', concurrency: 8 },
          rules: [rule({ name: 'r', on: 'submission.created', process: 'p' })],
          processes: [defineProcess({ name: 'p', steps: [{
            name: 's',
            retry: { maxRetries: 1, kind: 'constant', baseMs: ${BACKOFF_MS}, maxMs: ${BACKOFF_MS}, jitter: 0 },
            run: async ({ event, attempt }) => {
              if (event.id === 'evt-0' && attempt === 1) throw new Error('not yet');
              appendFileSync(join(${JSON.stringify(dir)}, 'done.log'), event.id + '\\n');
              return 'ok';
            },
          }] })],
        }`,
        `import { appendFileSync } from 'node:fs';\nimport { join } from 'node:path';`,
      );
      const consume = startAgentctl(
        ['consume', '--json', '--source', amqpUri(`queue=${queue}&type=quorum`, AMQP_URL)],
        { cwd: dir },
      );
      onTestFinished(() => {
        if (consume.child.exitCode === null) consume.child.kill('SIGKILL');
      });

      // Every other event succeeds at once; the slow one waits out its backoff.
      for (let i = 0; succeeded(dir).length < EVENTS - 1; i++) {
        if (i > 600 || consume.child.exitCode !== null) throw new Error(`consume: ${consume.stderr()}`);
        await delay(50);
      }
      let unacked = await unackedOf(queue);
      while (unacked !== 1 && !succeeded(dir).includes('evt-0')) {
        await delay(200);
        unacked = await unackedOf(queue);
      }
      // The others' acks did not wait for the slow one: they were acked while it still waited.
      expect(succeeded(dir)).not.toContain('evt-0');
      expect(unacked).toBe(1);

      for (let i = 0; !succeeded(dir).includes('evt-0'); i++) {
        if (i > 1200 || consume.child.exitCode !== null) throw new Error(`consume: ${consume.stderr()}`);
        await delay(50);
      }
      while ((await unackedOf(queue)) !== 0) await delay(200);
      consume.child.kill('SIGINT');
      const { code } = await consume.done;
      expect(code, consume.stderr()).toBe(0);
      expect(new Set(succeeded(dir)).size).toBe(EVENTS);
      expect(succeeded(dir).length).toBe(EVENTS);
      expect((await admin.depth(queue)).ready).toBe(0);
    }, 120_000);
  },
);
