import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { CheckpointRow } from '../../src/core/ops/checkpoint-list.js';
import type { CheckpointPlan } from '../../src/core/ops/checkpoint-moves.js';
import { openSqliteStore } from '../../src/core/store/sqlite/sqlite-state-store.js';
import { publish, submissionEvents } from '../core/agent/fixtures.js';
import { agentctl, startAgentctl, writeConfig } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

const EVENTS = 20;

interface Summary {
  readonly type: 'summary';
  readonly read: number;
  readonly skippedRuns: number;
  readonly runs: Record<string, number>;
}

/** An agent `orders` on the default store and local log, with `EVENTS` events waiting in the log. */
async function givenAnAgentWithEvents(): Promise<string> {
  const dir = tempDir('checkpoint-');
  writeConfig(
    dir,
    `{
      name: 'orders',
      consumer: { heartbeatMs: 100, leaseTtlMs: 3_000 },
      publisher: { sink: 'none' },
      rules: [rule({ name: 'record-order', on: 'submission.created', process: 'record' })],
      processes: [defineProcess({ name: 'record', steps: [{ name: 'note', run: ({ event }) => event.id }] })],
    }`,
  );
  const store = await openSqliteStore({ path: join(dir, '.agentctl', 'agent.db') });
  await publish(store, submissionEvents(EVENTS));
  await store.close();
  return dir;
}

function consumeUntilEmpty(dir: string): Summary {
  const run = agentctl(['consume', '--until-empty', '--json'], { cwd: dir });
  expect(run.code, run.stderr).toBe(0);
  return run.lines<{ type: string }>().find((l) => l.type === 'summary') as Summary;
}

function checkpoints(dir: string): CheckpointRow[] {
  const run = agentctl(['checkpoint', 'list', '--json'], { cwd: dir });
  expect(run.code, run.stderr).toBe(0);
  return run.json<CheckpointRow[]>();
}

function positions(rows: readonly CheckpointRow[]): Record<string, string | undefined> {
  return Object.fromEntries(rows.map((r) => [r.partition, r.position]));
}

async function eventually<T>(probe: () => T | undefined, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(100);
  }
}

describe('agentctl checkpoint', () => {
  it('list shows every partition at the tip once consume has caught up', async () => {
    const dir = await givenAnAgentWithEvents();
    const before = checkpoints(dir);
    expect(before.map((r) => r.partition)).toEqual(['0', '1', '2', '3']);
    expect(before.every((r) => r.position === undefined)).toBe(true);
    expect(before.reduce((sum, r) => sum + (r.lagRecords ?? 0), 0)).toBe(EVENTS);

    expect(consumeUntilEmpty(dir).read).toBe(EVENTS);

    const after = checkpoints(dir);
    expect(after).toHaveLength(4);
    for (const row of after) {
      expect(row.latest).toBeDefined();
      expect(row).toMatchObject({
        group: 'orders',
        source: 'local:events',
        position: row.latest,
        lagRecords: 0,
      });
    }
  });

  it('reset --execute --yes makes the next consume re-read every event and skip its runs as already succeeded', async () => {
    const dir = await givenAnAgentWithEvents();
    consumeUntilEmpty(dir);

    const reset = agentctl(['checkpoint', 'reset', '--execute', '--yes', '--json'], { cwd: dir });

    expect(reset.code, reset.stderr).toBe(0);
    const result = reset.json<CheckpointPlan>();
    expect(result.executed).toBe(true);
    expect(result.changes.map((c) => c.partition)).toEqual(['0', '1', '2', '3']);
    expect(result.changes.every((c) => c.before !== undefined && c.after === undefined)).toBe(true);
    expect(checkpoints(dir).every((r) => r.position === undefined)).toBe(true);
    const again = consumeUntilEmpty(dir);
    expect(again.read).toBe(EVENTS);
    expect(again.skippedRuns).toBe(EVENTS);
    expect(again.runs.succeeded).toBe(0);
  });

  it('set moves one partition only, and the next consume reads that partition from there', async () => {
    const dir = await givenAnAgentWithEvents();
    consumeUntilEmpty(dir);
    const tip = positions(checkpoints(dir));

    const set = agentctl(['checkpoint', 'set', '--partition', '0', '--position', '0', '--execute', '--yes'], {
      cwd: dir,
    });

    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toMatch(new RegExp(`^0 +${tip['0']} +0 +back +${tip['0']} re-read`, 'm'));
    expect(set.stdout).toContain('1 checkpoint moved');
    const rows = checkpoints(dir);
    expect(positions(rows)).toEqual({ ...tip, '0': '0' });
    expect(rows[0]).toMatchObject({ writtenBy: 'operator', lagRecords: Number(tip['0']) });
    expect(consumeUntilEmpty(dir).read).toBe(Number(tip['0']));
  });

  it('reset --to latest skips what is in the log now', async () => {
    const dir = await givenAnAgentWithEvents();

    const reset = agentctl(['checkpoint', 'reset', '--to', 'latest', '--execute', '--yes'], { cwd: dir });

    expect(reset.code, reset.stderr).toBe(0);
    const rows = checkpoints(dir);
    expect(rows.every((r) => r.position !== undefined && r.position === r.latest && r.lagRecords === 0)).toBe(
      true,
    );
    expect(consumeUntilEmpty(dir).read).toBe(0);
  });

  it('set and reset --execute refuse while a running consumer owns the partition (exit 2), the plan names it, and --force overrides', async () => {
    const dir = await givenAnAgentWithEvents();
    consumeUntilEmpty(dir);
    const tip = positions(checkpoints(dir));
    const consumer = startAgentctl(['consume'], { cwd: dir });
    onTestFinished(() => {
      if (consumer.child.exitCode === null) consumer.child.kill('SIGKILL');
    });
    const owner = await eventually(() => {
      const rows = checkpoints(dir);
      return rows.every((r) => r.owner !== undefined) ? rows[0]!.owner : undefined;
    }, 'the consumer to own every partition');

    const plan = agentctl(['checkpoint', 'set', '-p', '0', '--shift-by=-2', '--json'], { cwd: dir });
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.json<CheckpointPlan>().changes).toEqual([expect.objectContaining({ partition: '0', owner })]);
    const text = agentctl(['checkpoint', 'set', '-p', '0', '--shift-by=-2'], { cwd: dir });
    expect(text.stdout).toContain(
      `warning: partition 0 is owned by the running agent ${owner}: --execute refuses it unless --force`,
    );
    const refusedSet = agentctl(['checkpoint', 'set', '-p', '0', '--position', '0', '--execute', '--yes'], {
      cwd: dir,
    });
    const refusedReset = agentctl(['checkpoint', 'reset', '--execute', '--yes'], { cwd: dir });

    for (const refused of [refusedSet, refusedReset]) {
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain(`owned by the running agent ${owner}`);
      expect(refused.stderr).toContain('nothing was changed');
      expect(refused.stderr).toContain('try: drain it first');
    }
    expect(positions(checkpoints(dir))).toEqual(tip);

    const forced = agentctl(
      ['checkpoint', 'set', '-p', '0', '--position', '0', '--execute', '--yes', '--force', '--json'],
      {
        cwd: dir,
      },
    );

    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.json<CheckpointPlan>().forced).toEqual([
      expect.objectContaining({ partition: '0', agent: owner }),
    ]);
    expect(positions(checkpoints(dir))['0']).toBe('0');
    consumer.child.kill('SIGTERM');
    expect((await consumer.done).code).toBe(0);
  }, 180_000);

  it('set and reset --execute without --yes refuse when there is no terminal to ask, and change nothing', async () => {
    const dir = await givenAnAgentWithEvents();
    consumeUntilEmpty(dir);
    const tip = positions(checkpoints(dir));

    const set = agentctl(['checkpoint', 'set', '-p', '1', '--position', '0', '--execute'], { cwd: dir });
    const reset = agentctl(['checkpoint', 'reset', '--execute'], { cwd: dir });

    for (const refused of [set, reset]) {
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('not confirmed: stdin is not a terminal');
      expect(refused.stderr).toContain('try: add --yes');
    }
    expect(positions(checkpoints(dir))).toEqual(tip);
  });

  it('set names the partitions there are when given one that does not exist', async () => {
    const dir = await givenAnAgentWithEvents();

    const set = agentctl(['checkpoint', 'set', '-p', '7', '--position', '0'], { cwd: dir });

    expect(set.code).toBe(2);
    expect(set.stderr).toContain('local:events has no partition "7"');
    expect(set.stderr).toContain('its partitions are 0, 1, 2, 3');
  });
});
