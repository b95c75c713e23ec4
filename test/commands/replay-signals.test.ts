import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/core/store/sqlite/sqlite-state-store.js';
import { agentctl, startAgentctl, writeConfig } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

const PREAMBLE = `import { appendFileSync, existsSync } from 'node:fs';\nimport { join } from 'node:path';`;
/**
 * Every order fails (FatalError) while `broken.flag` exists; while `slow.flag` exists a run takes 300 ms,
 * while `hang.flag` exists it never ends. A run appends its event id to `started.log` when it starts and to
 * `executions.log` when it ends.
 */
const CONFIG = `{
  name: 'orders',
  consumer: { localPartitions: 1 },
  publisher: { sink: 'none' },
  runner: { kind: 'inline' },
  rules: [rule({ name: 'ship-order', on: 'order.created', process: 'ship' })],
  processes: [
    defineProcess({
      name: 'ship',
      steps: [{
        name: 'ship',
        run: async ({ event }) => {
          const flag = (name) => existsSync(join(process.cwd(), name));
          appendFileSync(join(process.cwd(), 'started.log'), event.id + '\\n');
          if (flag('broken.flag')) throw new FatalError('warehouse is down');
          if (flag('hang.flag')) await new Promise(() => {});
          if (flag('slow.flag')) await new Promise((done) => setTimeout(done, 300));
          appendFileSync(join(process.cwd(), 'executions.log'), event.id + '\\n');
        },
      }],
    }),
  ],
}`;

const ORDERS = 8;

/** A project whose 8 orders were consumed while the warehouse was down: 8 parked process failures. */
async function givenParked(): Promise<string> {
  const dir = tempDir();
  writeConfig(dir, CONFIG, PREAMBLE);
  const store = await openSqliteStore({ path: join(dir, '.agentctl/agent.db') });
  await store.log.ensureTopic('events', 1);
  const orders = Array.from({ length: ORDERS }, (_, n) => ({
    specversion: '1.0',
    id: `evt-${n}`,
    type: 'order.created',
    source: '/shop',
    data: { n },
  }));
  await store.log.append(
    'events',
    orders.map((o) => ({ value: new TextEncoder().encode(JSON.stringify(o)) })),
  );
  await store.close();
  writeFileSync(join(dir, 'broken.flag'), '');
  const consumed = agentctl(['consume', '--until-empty'], { cwd: dir });
  expect(consumed.code, consumed.stderr).toBe(0);
  rmSync(join(dir, 'broken.flag'));
  rmSync(join(dir, 'started.log'));
  return dir;
}

function executed(dir: string): string[] {
  const path = join(dir, 'executions.log');
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : [];
}

async function until(what: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!what()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((done) => setTimeout(done, 50));
  }
}

function statuses(dir: string): Record<string, number> {
  const listed = agentctl(['failed', 'list', '--status', 'any', '--json'], { cwd: dir });
  expect(listed.code, listed.stderr).toBe(0);
  const counts: Record<string, number> = {};
  for (const item of listed.json<{ status: string }[]>())
    counts[item.status] = (counts[item.status] ?? 0) + 1;
  return counts;
}

describe('replay --failed under SIGTERM and SIGINT, as `timeout` and Ctrl-C send them', () => {
  it('the first SIGTERM drains: the page in flight finishes and is recorded, then it exits 0', async () => {
    const dir = await givenParked();
    writeFileSync(join(dir, 'slow.flag'), '');
    const replay = startAgentctl(['replay', '--failed', '--yes'], { cwd: dir });
    await until(() => executed(dir).length >= 1);
    replay.child.kill('SIGTERM');
    const done = await replay.done;
    expect(done.code, done.stderr).toBe(0);
    expect(done.stderr).toContain('SIGTERM: stopping after the items in flight');
    // Nothing lost, nothing run without being recorded, nothing run twice: the 8 items were one page.
    expect(done.stdout).toContain('replayed 8 of 8 items');
    expect(statuses(dir)).toEqual({ replayed: ORDERS });
    expect([...new Set(executed(dir))]).toHaveLength(ORDERS);
    expect(executed(dir)).toHaveLength(ORDERS);
  }, 120_000);

  it('a second signal stops it at once while a run hangs (exit 130), and the item stays pending', async () => {
    const dir = await givenParked();
    writeFileSync(join(dir, 'hang.flag'), '');
    const replay = startAgentctl(['replay', '--failed', '--yes'], { cwd: dir });
    await until(() => existsSync(join(dir, 'started.log')));
    replay.child.kill('SIGINT');
    await until(
      () =>
        replay.stderr().includes('SIGINT: ') ||
        replay.child.exitCode !== null ||
        replay.child.signalCode !== null,
    );
    expect(replay.stderr()).toContain('SIGINT: ');
    const stopping = Date.now();
    replay.child.kill('SIGINT');
    const done = await replay.done;
    expect(Date.now() - stopping).toBeLessThan(5_000);
    expect(done.code, done.stderr).toBe(130);
    expect(statuses(dir)).toEqual({ pending: ORDERS });
  }, 120_000);
});
