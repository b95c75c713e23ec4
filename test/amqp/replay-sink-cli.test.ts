import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connect } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMPTY_BATCH } from '../../src/core/store/journal.js';
import { openSqliteStore } from '../../src/core/store/sqlite/sqlite-state-store.js';
import { agentctl, type CliResult, writeConfig } from '../support/cli.js';
import { rabbitmqAvailable, serviceSuite } from '../support/services.js';
import { tempDir } from '../support/temp.js';

const run = promisify(execFile);
const available = await rabbitmqAvailable();

/** A vhost and a user with a password of their own (not guest), made for this file and deleted after. */
const id = randomBytes(4).toString('hex');
const VHOST = `agentctl-test-h5-${id}`;
const USER = `agentctl-test-h5-${id}`;
const PASSWORD = `pw-${randomBytes(8).toString('hex')}`;
const uri = (port: number, queue: string) =>
  `amqp://${USER}:${PASSWORD}@127.0.0.1:${port}/${VHOST}?queue=${queue}`;

function config(dir: string, sink: string): void {
  writeConfig(
    dir,
    `{
      name: 'orders',
      source: 'local:events',
      consumer: { localPartitions: 1 },
      adapters: { amqp: { connectAttempts: 1, connectTimeoutMs: 5000, publishTimeoutMs: 2000, reconnectBaseMs: 50, reconnectMaxMs: 100 } },
      publisher: { sink: '${sink}', contingency: { maxRetries: 0, baseMs: 5, maxMs: 10, jitter: 0 } },
      rules: [rule({ name: 'ship-order', on: 'order.created', process: 'ship' })],
      processes: [defineProcess({ name: 'ship', publish: true, steps: [{ name: 'ship', run: ({ event }) => ({ shipped: event.id }) }] })],
    }`,
  );
}

/** Messages waiting in a queue of the test vhost (declared if missing), read as the test user. */
async function depth(queue: string): Promise<number> {
  const model = await connect({
    hostname: '127.0.0.1',
    port: 5672,
    username: USER,
    password: PASSWORD,
    vhost: VHOST,
  });
  try {
    const channel = await model.createChannel();
    return (await channel.checkQueue(queue)).messageCount;
  } finally {
    await model.close();
  }
}

function ok(result: CliResult): CliResult {
  expect(result.code, result.stderr).toBe(0);
  expect(result.stdout + result.stderr).not.toContain(PASSWORD);
  return result;
}

/** Nothing in the store's files holds the password. */
function expectNoSecretIn(dir: string): void {
  for (const file of readdirSync(join(dir, '.agentctl'))) {
    expect(readFileSync(join(dir, '.agentctl', file)).includes(PASSWORD), file).toBe(false);
  }
}

/** A local port nothing listens on: a sink there is down. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A project whose 3 orders were consumed while the sink `sink` was unreachable: 3 records parked. */
function givenParked(sink: string): string {
  const dir = tempDir('replay-sink-');
  config(dir, sink);
  const events = [1, 2, 3].map((n) =>
    JSON.stringify({
      specversion: '1.0',
      id: `evt-${n}`,
      type: 'order.created',
      source: '/shop',
      subject: `c-${n}`,
    }),
  );
  ok(
    agentctl(['publish', '--file', '-', '--source', 'local:events'], {
      cwd: dir,
      input: `${events.join('\n')}\n`,
    }),
  );
  ok(agentctl(['consume', '--until-empty'], { cwd: dir }));
  return dir;
}

interface Item {
  readonly reason: string;
  readonly sink?: string;
  readonly sinkRef?: string;
}

describe.skipIf(!available)(
  serviceSuite(
    'agentctl replay --failed to an AMQP sink with credentials',
    available,
    'RabbitMQ',
    'AMQP_URL',
  ),
  () => {
    let down: number;
    beforeAll(async () => {
      // No permissions yet: the first test parks while the broker refuses the user.
      await run('rabbitmqctl', ['add_vhost', VHOST]);
      await run('rabbitmqctl', ['add_user', USER, PASSWORD]);
      down = await closedPort();
    }, 120_000);
    afterAll(async () => {
      await run('rabbitmqctl', ['delete_vhost', VHOST]).catch(() => undefined);
      await run('rabbitmqctl', ['delete_user', USER]).catch(() => undefined);
    }, 120_000);

    it('Given records parked while the broker refused the sink user, When it may publish again and replay --failed runs with the config unchanged, Then they are delivered with the sink credentials, which were never stored or printed', async () => {
      const dir = givenParked(uri(5672, 'orders-refused'));
      const items = ok(agentctl(['failed', 'list', '--json'], { cwd: dir })).json<Item[]>();
      expect(items.map((i) => [i.reason, i.sink, i.sinkRef])).toEqual(
        Array.from({ length: 3 }, () => [
          'publish',
          `amqp://127.0.0.1:5672/${VHOST}?queue=orders-refused`,
          'publisher.sink',
        ]),
      );

      await run('rabbitmqctl', ['set_permissions', '-p', VHOST, USER, '.*', '.*', '.*']);
      const replayed = ok(agentctl(['replay', '--failed', '--yes', '--json'], { cwd: dir }));

      expect(replayed.json(), replayed.stdout).toMatchObject({ selected: 3, replayed: 3, failedAgain: 0 });
      expect(await depth('orders-refused')).toBe(3);
      expectNoSecretIn(dir);
    });

    it('Given records parked for a sink that has moved since, When replayed with the config naming the new place, Then they go there', async () => {
      const dir = givenParked(uri(down, 'orders-moved'));

      config(dir, uri(5672, 'orders-moved'));
      const replayed = ok(agentctl(['replay', '--failed', '--yes', '--json'], { cwd: dir }));

      expect(replayed.json()).toMatchObject({ selected: 3, replayed: 3 });
      expect(await depth('orders-moved')).toBe(3);
    });

    it('Given the config sink still down, When replay --failed --sink URI (or AGENTCTL_SINK) names another, Then the records are delivered there', async () => {
      const dir = givenParked(uri(down, 'orders-cfg'));

      const one = ok(
        agentctl(['replay', '--failed', '--id', '1', '--yes', '--json', '--sink', uri(5672, 'orders-flag')], {
          cwd: dir,
        }),
      );
      const rest = ok(
        agentctl(['replay', '--failed', '--yes', '--json'], {
          cwd: dir,
          env: { AGENTCTL_SINK: uri(5672, 'orders-env') },
        }),
      );

      expect(one.json()).toMatchObject({ selected: 1, replayed: 1 });
      expect(rest.json()).toMatchObject({ selected: 2, replayed: 2 });
      expect([await depth('orders-flag'), await depth('orders-env')]).toEqual([1, 2]);
      expectNoSecretIn(dir);
    });

    it('Given items parked by an older agentctl (sink name only), When replayed, Then the one whose sink is the config sink is delivered, the other asks for --sink, and --sink delivers it', async () => {
      const dir = tempDir('replay-legacy-');
      config(dir, uri(5672, 'orders-legacy'));
      const store = await openSqliteStore({ path: join(dir, '.agentctl/agent.db') });
      const parked = (n: number, sink: string) => ({
        group: 'orders',
        source: 'local:events',
        partition: '0',
        position: String(n),
        reason: 'publish' as const,
        kind: 'record' as const,
        error: 'cannot reach RabbitMQ',
        sink,
        attempts: 1,
        raw: new TextEncoder().encode(JSON.stringify({ n })),
        timestamp: 1,
        failedAt: 1,
        key: `publish/${sink}/rec-${n}`,
      });
      await store.flush({
        ...EMPTY_BATCH,
        parked: [
          parked(1, `amqp://127.0.0.1:5672/${VHOST}?queue=orders-legacy`),
          parked(2, `amqp://127.0.0.1:5672/${VHOST}?queue=elsewhere`),
        ],
      });
      await store.close();

      // One item is left failing: replay --failed says so with exit 3.
      const firstRun = agentctl(['replay', '--failed', '--yes', '--json'], { cwd: dir });
      expect(firstRun.code, firstRun.stderr).toBe(3);
      const first = firstRun.json<{
        items: { id: number; outcome: string; error?: string }[];
      }>();
      const second = ok(
        agentctl(['replay', '--failed', '--yes', '--json', '--sink', uri(5672, 'elsewhere')], { cwd: dir }),
      );

      expect(first.items.map((i) => i.outcome)).toEqual(['replayed', 'failed']);
      expect(first.items[1]?.error).toMatch(/credentials are not kept; replay with --sink URI/);
      expect(second.json()).toMatchObject({ selected: 1, replayed: 1 });
      expect([await depth('orders-legacy'), await depth('elsewhere')]).toEqual([1, 1]);
    });
  },
);
