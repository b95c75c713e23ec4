import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startAgentctl, writeConfig } from '../support/cli.js';
import { AMQP_URL, rabbitmqAvailable, serviceSuite } from '../support/services.js';
import { tempDir } from '../support/temp.js';
import { events } from './support/agent.js';
import { amqpUri, BrokerAdmin, closeConnections, uniqueName } from './support/broker.js';

const available = await rabbitmqAvailable();
// Enough that work is still under way after the last close: each close (rabbitmqctl) takes seconds, and
// with every message acked on its own the consumer no longer stalls between closes.
const EVENTS = 20_000;
const CLOSES = 3;

/** Every execution of the step, one event id a line, written by the step itself (counted outside agentctl). */
function effects(dir: string): string[] {
  try {
    return readFileSync(join(dir, 'effects.log'), 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

async function until(what: string, done: () => boolean, timeoutMs: number): Promise<void> {
  const started = Date.now();
  while (!done()) {
    if (Date.now() - started > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(50);
  }
}

describe.skipIf(!available)(
  serviceSuite('consume through broker faults (connections force-closed)', available, 'RabbitMQ', 'AMQP_URL'),
  () => {
    it(`Given consume with a pool of 16 on a classic queue, When its connection is force-closed ${CLOSES} times mid-stream, Then no event is lost, no succeeded run executes twice, no stale delivery tag is acked, and work goes on within 5 s of each close`, async () => {
      const admin = await BrokerAdmin.open();
      onTestFinished(() => admin.cleanup());
      const queue = await admin.queue(uniqueName('faults'));
      await admin.send(queue, events(EVENTS));
      const dir = tempDir('broker-faults-');
      writeConfig(
        dir,
        `{
          name: 'faults',
          publisher: { sink: 'none' },
          runner: { kind: 'pool', concurrency: 16 },
          rules: [rule({ name: 'r', on: 'submission.created', process: 'p' })],
          processes: [defineProcess({ name: 'p', steps: [{ name: 's', run: async ({ event }) => {
            await new Promise((r) => setTimeout(r, 2));
            appendFileSync(join(${JSON.stringify(dir)}, 'effects.log'), event.id + '\\n');
            return 'ok';
          } }] })],
        }`,
        `import { appendFileSync } from 'node:fs';\nimport { join } from 'node:path';`,
      );
      const consume = startAgentctl(['consume', '--json', '--source', amqpUri(`queue=${queue}`, AMQP_URL)], {
        cwd: dir,
      });
      onTestFinished(() => {
        if (consume.child.exitCode === null) consume.child.kill('SIGKILL');
      });

      const resumeMs: number[] = [];
      for (let k = 1; k <= CLOSES; k++) {
        await until(`${k * 2_000} effects`, () => effects(dir).length >= k * 2_000, 60_000);
        expect(await closeConnections(queue)).toBeGreaterThan(0);
        const closedAt = Date.now();
        const before = effects(dir).length;
        await until('work after the close', () => effects(dir).length > before + 16, 30_000);
        resumeMs.push(Date.now() - closedAt);
      }
      await until('every event executed', () => new Set(effects(dir)).size >= EVENTS, 120_000);
      // Let redelivered copies of the last deliveries come through before counting.
      await delay(1_500);
      consume.child.kill('SIGINT');
      const { code } = await consume.done;

      const log = effects(dir);
      const counts = new Map<string, number>();
      for (const id of log) counts.set(id, (counts.get(id) ?? 0) + 1);
      const twice = [...counts].filter(([, n]) => n > 1);
      const output = consume.stdout() + consume.stderr();
      expect(code, consume.stderr()).toBe(0);
      expect(counts.size).toBe(EVENTS);
      expect(twice.slice(0, 5), `${twice.length} events executed more than once`).toEqual([]);
      expect(output).not.toMatch(/PRECONDITION_FAILED|unknown delivery tag/i);
      for (const ms of resumeMs) expect(ms).toBeLessThan(5_000);
      expect((await admin.depth(queue)).ready).toBe(0);
    }, 240_000);
  },
);
