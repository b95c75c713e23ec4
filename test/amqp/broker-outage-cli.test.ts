import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startAgentctl, writeConfig } from '../support/cli.js';
import { AMQP_URL, rabbitmqAvailable, serviceSuite } from '../support/services.js';
import { tempDir } from '../support/temp.js';
import { events } from './support/agent.js';
import { amqpUri, BrokerAdmin, uniqueName } from './support/broker.js';
import { TcpProxy } from './support/tcp-proxy.js';

const available = await rabbitmqAvailable();
const run = promisify(execFile);

interface Line {
  readonly type: string;
  readonly state?: string;
  readonly processed?: number;
  readonly message?: string;
  readonly url?: string;
}

interface AgentRow {
  readonly id: string;
  readonly state: string;
  readonly stateSince?: number;
  readonly lastError?: string;
}

/** An agent whose one effect, outside agentctl, is a line per event id appended to `effects.log`. */
function agentDir(): string {
  const dir = tempDir('outage-');
  writeConfig(
    dir,
    `{
      name: 'outage',
      publisher: { sink: 'none' },
      rules: [rule({ name: 'r', on: 'submission.created', process: 'effect' })],
      processes: [defineProcess({ name: 'effect', steps: [{ name: 'write', run: ({ event }) => {
        appendFileSync(join(${JSON.stringify(dir)}, 'effects.log'), event.id + '\\n');
      } }] })],
    }`,
    "import { appendFileSync } from 'node:fs';\nimport { join } from 'node:path';",
  );
  return dir;
}

function effects(dir: string): string[] {
  const path = join(dir, 'effects.log');
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : [];
}

/** `consume --json` running in the background, with its NDJSON lines and when each was seen. */
function consume(dir: string, source: string) {
  const child = startAgentctl(
    ['consume', '--json', '--source', source, '--metrics-port', '0', '--metrics-host', '127.0.0.1'],
    { cwd: dir },
  );
  onTestFinished(() => {
    if (child.child.exitCode === null) child.child.kill('SIGKILL');
  });
  const seen: { at: number; line: Line }[] = [];
  let parsed = 0;
  const lines = () => {
    const all = child.stdout().split('\n');
    for (; parsed < all.length - 1; parsed++) {
      seen.push({ at: Date.now(), line: JSON.parse(all[parsed]!) as Line });
    }
    return seen;
  };
  return { ...child, lines };
}

/** `agentctl` run to completion without blocking this process (the proxy lives in it). */
async function agentctlAsync(dir: string, args: readonly string[]) {
  return startAgentctl(args, { cwd: dir }).done;
}

async function agentRow(dir: string): Promise<AgentRow | undefined> {
  const status = await agentctlAsync(dir, ['status', '--json']);
  return status.json<{ agents: AgentRow[] }>().agents[0];
}

async function readyz(base: string): Promise<number> {
  return (await fetch(`${base}/readyz`)).status;
}

async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() - started > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(50);
  }
}

/**
 * The outage as a user sees it: within a second the agent says it is OFFLINE (progress lines, a warning,
 * /readyz 503, `status` with the reason), and after the broker is back it says so and goes on within 5 s.
 */
async function outage(options: {
  readonly source: string;
  readonly queue: string;
  /** The admin connection to arrange and check with (a stopped broker takes the old one with it). */
  readonly admin: () => BrokerAdmin;
  /** The broker takes the events sent while this agent is cut off (a network cut, not a stopped broker). */
  readonly sendWhileDown: boolean;
  readonly cut: () => Promise<void>;
  readonly restore: () => Promise<void>;
  readonly downMs: number;
}) {
  const { admin, queue } = options;
  const dir = agentDir();
  await admin().send(queue, events(200));
  const agent = consume(dir, options.source);
  await waitFor('the first 200 effects', () => effects(dir).length >= 200, 30_000);
  const metrics = agent.lines().find((l) => l.line.type === 'metrics')!.line.url!;
  const base = metrics.replace(/\/metrics$/, '');
  expect(await readyz(base)).toBe(200);

  const cutAt = Date.now();
  await options.cut();
  // From when the cut is done: `rabbitmqctl stop_app` spends a second or more starting its own Erlang VM
  // before the broker goes away, which is not the agent's time to notice.
  const cutDone = Date.now();
  const offline = await waitFor(
    'an OFFLINE progress line',
    () =>
      agent.lines().find((l) => l.at >= cutAt && l.line.type === 'progress' && l.line.state === 'OFFLINE'),
    5_000,
  );
  expect(offline.at - cutDone).toBeLessThan(2_000);
  expect(
    agent
      .lines()
      .some((l) => l.at >= cutAt && l.line.type === 'warning' && /unreachable/.test(l.line.message!)),
  ).toBe(true);
  expect(await readyz(base)).toBe(503);
  // Events sent while the agent is cut off wait in the queue.
  if (options.sendWhileDown) await admin().send(queue, events(200, 200));
  const row = await waitFor(
    'status OFFLINE',
    async () => {
      const r = await agentRow(dir);
      return r?.state === 'OFFLINE' ? r : undefined;
    },
    5_000,
  );
  expect(row.lastError).toBeTruthy();
  expect(row.lastError).not.toContain('guest:guest');
  expect(row.stateSince).toBeGreaterThanOrEqual(cutAt - 1_000);
  expect(
    agent
      .lines()
      .filter((l) => l.at >= offline.at + 200 && l.line.type === 'progress')
      .map((l) => l.line.state),
  ).not.toContain('ACTIVE');

  await delay(Math.max(0, options.downMs - (Date.now() - cutAt)));
  await options.restore();
  const backAt = Date.now();
  if (!options.sendWhileDown) await admin().send(queue, events(200, 200));
  await waitFor('all 400 effects', () => effects(dir).length >= 400, 30_000);
  const resumed = Date.now() - backAt;
  const back = agent
    .lines()
    .find((l) => l.at >= backAt && l.line.type === 'warning' && /reachable again/.test(l.line.message!));
  await waitFor('a ready agent', async () => (await readyz(base)) === 200, 5_000);
  agent.child.kill('SIGTERM');
  const done = await agent.done;

  expect(done.code, done.stderr).toBe(0);
  expect(resumed).toBeLessThan(5_000);
  expect(back?.line.message).toMatch(/reachable again after \d+ ms/);
  const ids = new Set(effects(dir));
  expect(ids.size).toBe(400);
  expect((await admin().depth(queue)).ready).toBe(0);
}

describe.skipIf(!available)(
  serviceSuite('consume from RabbitMQ through a broker outage', available, 'RabbitMQ', 'AMQP_URL'),
  () => {
    it('Given consume reading a queue through a network path, When the path is cut for 4 s, Then it says OFFLINE within a second (progress, warning, /readyz 503, status with the reason), and when it is back it says so and processes everything within 5 s, none lost', async () => {
      const admin = await BrokerAdmin.open();
      onTestFinished(() => admin.cleanup());
      const proxy = await TcpProxy.start();
      onTestFinished(() => proxy.close());
      const queue = await admin.queue(uniqueName('outage'));
      await outage({
        admin: () => admin,
        sendWhileDown: true,
        queue,
        source: amqpUri(`queue=${queue}`, proxy.url()),
        cut: async () => proxy.cut(),
        restore: async () => proxy.restore(),
        downMs: 4_000,
      });
    }, 90_000);

    // Stops the shared broker for everyone for a few seconds: only when asked for.
    it.skipIf(process.env.AGENTCTL_TEST_BROKER_RESTART !== '1')(
      'Given consume reading a queue, When the broker application is stopped (rabbitmqctl stop_app) and started again, Then the agent is OFFLINE meanwhile and goes on with nothing lost',
      async () => {
        let admin = await BrokerAdmin.open();
        onTestFinished(() => admin.cleanup());
        const queue = await admin.queue(uniqueName('stop-app'));
        let stopped = false;
        const startBroker = async () => {
          if (!stopped) return;
          await run('rabbitmqctl', ['start_app']);
          await run('rabbitmqctl', ['await_startup']);
          stopped = false;
        };
        try {
          await outage({
            admin: () => admin,
            sendWhileDown: false,
            queue,
            source: amqpUri(`queue=${queue}`, AMQP_URL),
            cut: async () => {
              stopped = true;
              await run('rabbitmqctl', ['stop_app']);
            },
            restore: async () => {
              await startBroker();
              // The admin's own connection went with the broker; the queue (durable) stays.
              const fresh = await BrokerAdmin.open();
              fresh.track(queue);
              admin = fresh;
            },
            downMs: 6_000,
          });
        } finally {
          await startBroker();
        }
      },
      120_000,
    );
  },
);
