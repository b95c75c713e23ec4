import { setTimeout as delay } from 'node:timers/promises';
import { connect } from 'amqplib';
import { describe, expect, it, onTestFinished } from 'vitest';
import { agentctl, startAgentctl, writeConfig } from '../support/cli.js';
import { AMQP_URL, rabbitmqAvailable, serviceSuite } from '../support/services.js';
import { tempDir } from '../support/temp.js';
import { events } from './support/agent.js';
import { amqpUri, BrokerAdmin, uniqueName } from './support/broker.js';

const available = await rabbitmqAvailable();

interface RedriveJson {
  redriven: number;
  failed: number;
  selected: number;
  items: { id: number; eventId?: string; outcome: string; error?: string }[];
}

/** A project reading quorum queue `queue` whose one process always fails for good (every event is parked). */
function givenProject(queue: string): string {
  const dir = tempDir('redrive-amqp-');
  writeConfig(
    dir,
    `{
      name: 'redrive',
      source: ${JSON.stringify(amqpUri(`queue=${queue}&type=quorum`, AMQP_URL))},
      publisher: { sink: 'none' },
      rules: [rule({ name: 'r', on: 'submission.created', process: 'p' })],
      processes: [defineProcess({ name: 'p', steps: [{ name: 's', run: () => { throw new FatalError('downstream is down'); } }] })],
    }`,
  );
  return dir;
}

interface Got {
  readonly id: string;
  readonly body: string;
  readonly headers: Record<string, unknown>;
}

/** Every message of the queue, through an amqplib consumer (acked), until it stays empty for a while. */
async function consumeAll(queue: string): Promise<Got[]> {
  const model = await connect(AMQP_URL);
  const channel = await model.createChannel();
  const got: Got[] = [];
  let last = Date.now();
  await channel.prefetch(100);
  await channel.consume(queue, (m) => {
    if (m === null) return;
    const body = m.content.toString();
    got.push({ id: (JSON.parse(body) as { id: string }).id, body, headers: m.properties.headers ?? {} });
    last = Date.now();
    channel.ack(m);
  });
  while (Date.now() - last < 1_500) await delay(100);
  await model.close();
  return got;
}

function countsById(got: readonly Got[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const g of got) counts.set(g.id, (counts.get(g.id) ?? 0) + 1);
  return counts;
}

/** The items' statuses by event id (`failed list --json`). */
function statuses(dir: string): Map<string, string> {
  const listed = agentctl(['failed', 'list', '--json', '--status', 'any', '--limit', '1000'], { cwd: dir });
  expect(listed.code, listed.stderr).toBe(0);
  return new Map(listed.json<{ eventId: string; status: string }[]>().map((i) => [i.eventId, i.status]));
}

/** Sends `n` events with application headers and lets `consume --until-empty` park them all. */
async function givenParked(
  admin: BrokerAdmin,
  n: number,
): Promise<{ dir: string; queue: string; bodies: string[] }> {
  const queue = await admin.queue(uniqueName('redrive'), 'quorum');
  const bodies = events(n);
  await admin.send(queue, bodies, { headers: { tenant: 'acme', 'x-trace': 'abc-1', attempt: 7 } });
  const dir = givenProject(queue);
  const consumed = startAgentctl(['consume', '--until-empty'], { cwd: dir });
  onTestFinished(() => {
    if (consumed.child.exitCode === null) consumed.child.kill('SIGKILL');
  });
  const result = await consumed.done;
  expect(result.code, result.stderr).toBe(0);
  expect((await admin.depth(queue)).ready).toBe(0);
  expect([...statuses(dir).values()].filter((s) => s === 'pending')).toHaveLength(n);
  return { dir, queue, bodies };
}

describe.skipIf(!available)(
  serviceSuite('replay --failed --to-origin on a RabbitMQ quorum queue', available, 'RabbitMQ', 'AMQP_URL'),
  () => {
    it('Given 6 events parked from a quorum queue, When --dry-run then redriven, Then the dry run changes nothing, and each event is back in its queue once, its bytes and headers kept plus x-agentctl-redrive=1, and marked replayed', async () => {
      const admin = await BrokerAdmin.open();
      onTestFinished(() => admin.cleanup());
      const { dir, queue, bodies } = await givenParked(admin, 6);

      const plan = agentctl(['replay', '--failed', '--to-origin', '--dry-run'], { cwd: dir });
      expect(plan.code, plan.stderr).toBe(0);
      expect(plan.stdout).toContain(`would redrive 6 items to amqp://127.0.0.1:5672?queue=${queue}`);
      expect(plan.stdout).not.toContain('guest');
      expect((await admin.depth(queue)).ready).toBe(0);
      expect([...statuses(dir).values()].every((s) => s === 'pending')).toBe(true);

      const run = startAgentctl(['replay', '--failed', '--to-origin', '--yes', '--json'], { cwd: dir });
      const result = await run.done;
      expect(result.code, result.stderr).toBe(0);
      expect(result.json<RedriveJson>()).toMatchObject({ redriven: 6, failed: 0 });

      const got = await consumeAll(queue);
      expect([...countsById(got).values()]).toEqual([1, 1, 1, 1, 1, 1]);
      expect(got.map((g) => g.body).sort()).toEqual([...bodies].sort());
      for (const g of got) {
        expect(g.headers).toMatchObject({
          tenant: 'acme',
          'x-trace': 'abc-1',
          attempt: '7',
          'x-agentctl-redrive': '1',
        });
      }
      expect([...statuses(dir).values()].every((s) => s === 'replayed')).toBe(true);
    }, 180_000);

    it('Given 60 parked events, When a redrive at --rate 20/s is SIGKILLed after some were confirmed and run again, Then every event is in the queue, each item marked replayed before the kill exactly once, at most one event twice, and all end replayed', async () => {
      const admin = await BrokerAdmin.open();
      onTestFinished(() => admin.cleanup());
      const n = 60;
      const { dir, queue } = await givenParked(admin, n);

      const first = startAgentctl(['replay', '--failed', '--to-origin', '--yes', '--rate', '20/s'], {
        cwd: dir,
      });
      onTestFinished(() => {
        if (first.child.exitCode === null) first.child.kill('SIGKILL');
      });
      for (let i = 0; (await admin.depth(queue)).ready < 10; i++) {
        if (i > 1200 || first.child.exitCode !== null)
          throw new Error(`redrive ended early: ${first.stderr()}`);
        await delay(25);
      }
      first.child.kill('SIGKILL');
      await first.done;
      const confirmedBefore = [...statuses(dir)].filter(([, s]) => s === 'replayed').map(([id]) => id);
      expect(confirmedBefore.length).toBeGreaterThan(0);
      expect(confirmedBefore.length).toBeLessThan(n);

      const second = startAgentctl(['replay', '--failed', '--to-origin', '--yes', '--json'], { cwd: dir });
      const result = await second.done;
      expect(result.code, result.stderr).toBe(0);
      expect(result.json<RedriveJson>().redriven).toBe(n - confirmedBefore.length);

      const counts = countsById(await consumeAll(queue));
      expect(counts.size).toBe(n);
      for (const id of confirmedBefore) expect(counts.get(id)).toBe(1);
      const twice = [...counts].filter(([, c]) => c > 1);
      expect(twice.length).toBeLessThanOrEqual(1);
      for (const [, c] of twice) expect(c).toBe(2);
      expect([...statuses(dir).values()].every((s) => s === 'replayed')).toBe(true);
    }, 240_000);

    it('Given events parked from a queue, When the broker cannot be reached, Then a clear error, exit 1, and every item stays pending', async () => {
      const admin = await BrokerAdmin.open();
      onTestFinished(() => admin.cleanup());
      const { dir, queue } = await givenParked(admin, 3);
      const unreachable = `amqp://guest:guest@127.0.0.1:1/?queue=${queue}&type=quorum`;

      const run = startAgentctl(['replay', '--failed', '--to-origin', '--yes', '--source', unreachable], {
        cwd: dir,
      });
      const result = await run.done;

      expect(result.code, result.stderr).toBe(1);
      expect(result.stdout).toMatch(/not redriven \(still pending\)/);
      expect(result.stdout).not.toContain('guest:guest');
      expect([...statuses(dir).values()].every((s) => s === 'pending')).toBe(true);
    }, 180_000);
  },
);
