import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import type { CheckpointRow } from '../../src/core/ops/checkpoint-list.js';
import type { CheckpointPlan } from '../../src/core/ops/checkpoint-moves.js';
import { openPostgresStore } from '../../src/core/store/postgres/postgres-state-store.js';
import type { CheckpointMove, LogRecord } from '../../src/core/store/records.js';
import { openSqliteStore } from '../../src/core/store/sqlite/sqlite-state-store.js';
import { publish, submissionEvents } from '../core/agent/fixtures.js';
import { agentctl, writeConfig } from '../support/cli.js';
import { dropSchemas, PG_URL, postgresAvailable, serviceSuite } from '../support/services.js';
import { tempDir } from '../support/temp.js';

const AGENT = `{
  name: 'orders',
  publisher: { sink: 'none' },
  rules: [rule({ name: 'record-order', on: 'submission.created', process: 'record' })],
  processes: [defineProcess({ name: 'record', steps: [{ name: 'note', run: ({ event }) => event.id }] })],
}`;

/**
 * An agent `orders` on the local log `events` with 12 events appended, then — after `at`, a time between
 * them — 12 more; consumed to the tip.
 */
async function givenAConsumedLog(): Promise<{ dir: string; at: number }> {
  const dir = tempDir('checkpoint-plan-');
  writeConfig(dir, AGENT);
  const store = await openSqliteStore({ path: join(dir, '.agentctl', 'agent.db') });
  await publish(store, submissionEvents(12));
  await delay(20);
  const at = Date.now();
  await delay(20);
  await publish(store, submissionEvents(12, 12));
  await store.close();
  const consumed = agentctl(['consume', '--until-empty'], { cwd: dir });
  expect(consumed.code, consumed.stderr).toBe(0);
  return { dir, at };
}

function cli(dir: string, args: string[], env: Record<string, string> = {}) {
  const run = agentctl(args, { cwd: dir, env });
  expect(run.code, run.stderr).toBe(0);
  return run;
}

const list = (dir: string) => cli(dir, ['checkpoint', 'list', '--json']).json<CheckpointRow[]>();
const positions = (rows: readonly CheckpointRow[]) =>
  Object.fromEntries(rows.map((r) => [r.partition, r.position]));

/** Every record of each partition of the local log `events`. */
async function records(dir: string): Promise<Map<string, LogRecord[]>> {
  const store = await openSqliteStore({ path: join(dir, '.agentctl', 'agent.db') });
  try {
    const out = new Map<string, LogRecord[]>();
    for (let p = 0; p < 4; p++) out.set(String(p), await store.log.read('events', p, -1, 1_000));
    return out;
  } finally {
    await store.close();
  }
}

describe('agentctl checkpoint set|reset: plans, --execute, history (local log)', () => {
  it('a plan printed without --execute leaves every checkpoint exactly as it was', async () => {
    const { dir, at } = await givenAConsumedLog();
    const before = list(dir);

    const plans = [
      cli(dir, [
        'checkpoint',
        'set',
        '--to-time',
        new Date(at).toISOString(),
        '--json',
      ]).json<CheckpointPlan>(),
      cli(dir, ['checkpoint', 'set', '--shift-by=-3', '--json']).json<CheckpointPlan>(),
      cli(dir, ['checkpoint', 'reset', '--json']).json<CheckpointPlan>(),
    ];
    const text = cli(dir, ['checkpoint', 'set', '--to', 'earliest']);

    expect(list(dir)).toEqual(before);
    for (const plan of plans) {
      expect(plan.executed).toBe(false);
      expect(plan.history).toBeUndefined();
      expect(plan.changes.map((c) => c.partition)).toEqual(['0', '1', '2', '3']);
      expect(plan.changes.every((c) => c.direction === 'back' && (c.events ?? 0) > 0)).toBe(true);
    }
    expect(plans[1]!.changes.every((c) => c.events === 3 && Number(c.after) === Number(c.before) - 3)).toBe(
      true,
    );
    expect(text.stdout).toContain('nothing was changed: add --execute to apply this plan');
    expect(cli(dir, ['checkpoint', 'history', '--json']).json<CheckpointMove[]>()).toEqual([]);
  });

  it('--to-time on the local log: the first record read again is stored at or after T, the one before it before T; executed, the move is in the history with its reason', async () => {
    const { dir, at } = await givenAConsumedLog();
    const tip = positions(list(dir));
    const log = await records(dir);
    const T = new Date(at).toISOString();

    const run = cli(
      dir,
      ['checkpoint', 'set', '--to-time', T, '--execute', '--yes', '--reason', 'bad deploy', '--json'],
      {
        AGENTCTL_ACTOR: 'alice@ops',
      },
    );

    const plan = run.json<CheckpointPlan>();
    expect(plan.executed).toBe(true);
    const after = positions(list(dir));
    for (const [partition, partitionRecords] of log) {
      const checkpoint = after[partition] === undefined ? -1 : Number(after[partition]);
      const next = partitionRecords.find((r) => r.offset === checkpoint + 1);
      const done = partitionRecords.find((r) => r.offset === checkpoint);
      if (next !== undefined) expect(next.timestamp).toBeGreaterThanOrEqual(at);
      if (done !== undefined) expect(done.timestamp).toBeLessThan(at);
      const change = plan.changes.find((c) => c.partition === partition)!;
      expect(change.events).toBe(partitionRecords.filter((r) => r.timestamp >= at).length);
    }
    expect(plan.changes.reduce((n, c) => n + (c.events ?? 0), 0)).toBe(12);

    const history = cli(dir, ['checkpoint', 'history', '--json']).json<CheckpointMove[]>();
    expect(history).toHaveLength(4);
    for (const move of history) {
      expect(move).toMatchObject({
        group: 'orders',
        source: 'local:events',
        before: tip[move.partition],
        actor: 'alice@ops',
        reason: 'bad deploy',
        command: `checkpoint set --to-time ${T}`,
      });
      expect(move.after).toBe(after[move.partition]);
    }
    const one = cli(dir, ['checkpoint', 'history', '--partition', '2', '--limit', '1']);
    expect(one.stdout).toMatch(/ alice@ops +orders +local:events +2 .* bad deploy +checkpoint set --to-time/);
    expect(one.stdout.trim().split('\n')).toHaveLength(2);
  });

  it('--shift-by moves back and forward by exact counts, and stops at the latest position', async () => {
    const { dir } = await givenAConsumedLog();
    const tip = Number(positions(list(dir))['1']);

    const back = cli(dir, ['checkpoint', 'set', '-p', '1', '--shift-by=-3', '--execute', '--yes', '--json']);
    const forward = cli(dir, [
      'checkpoint',
      'set',
      '-p',
      '1',
      '--shift-by',
      '+2',
      '--execute',
      '--yes',
      '--json',
    ]);
    const past = cli(dir, [
      'checkpoint',
      'set',
      '-p',
      '1',
      '--shift-by',
      '100',
      '--execute',
      '--yes',
      '--json',
    ]);

    expect(back.json<CheckpointPlan>().changes).toEqual([
      expect.objectContaining({ before: String(tip), after: String(tip - 3), direction: 'back', events: 3 }),
    ]);
    expect(forward.json<CheckpointPlan>().changes).toEqual([
      expect.objectContaining({
        before: String(tip - 3),
        after: String(tip - 1),
        direction: 'forward',
        events: 2,
      }),
    ]);
    expect(past.json<CheckpointPlan>().changes).toEqual([
      expect.objectContaining({ after: String(tip), direction: 'forward', events: 1 }),
    ]);
    expect(positions(list(dir))['1']).toBe(String(tip));
    const history = cli(dir, ['checkpoint', 'history', '--json']).json<CheckpointMove[]>();
    expect(history.map((m) => [m.before, m.after])).toEqual([
      [String(tip - 1), String(tip)],
      [String(tip - 3), String(tip - 1)],
      [String(tip), String(tip - 3)],
    ]);
  });

  it('refuses a target that is missing, doubled or malformed (exit 2), changing nothing', async () => {
    const dir = tempDir('checkpoint-plan-bad-');
    writeConfig(dir, AGENT);
    await (await openSqliteStore({ path: join(dir, '.agentctl', 'agent.db') })).close();
    const cases: [string[], string][] = [
      [['checkpoint', 'set'], 'checkpoint set: no target; it takes exactly one'],
      [['checkpoint', 'set', '--to', 'latest', '--shift-by', '2'], '--shift-by and --to together'],
      [['checkpoint', 'set', '--shift-by', 'lots'], '--shift-by "lots" is not a whole number of records'],
      [['checkpoint', 'set', '--to-time', 'yesterday'], '"yesterday" is not a time'],
      [
        ['checkpoint', 'set', '--to', '3'],
        '--to 3 names a position of one partition: give exactly one --partition',
      ],
    ];
    for (const [args, message] of cases) {
      const run = agentctl([...args, '--execute', '--yes'], { cwd: dir });
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toContain(message);
    }
    expect(cli(dir, ['checkpoint', 'history', '--json']).json<CheckpointMove[]>()).toEqual([]);
  });
});

const pgAvailable = await postgresAvailable();
const schemas: string[] = [];

describe.skipIf(!pgAvailable)(
  serviceSuite('checkpoint history in PostgreSQL', pgAvailable, 'PostgreSQL', 'PG_URL'),
  () => {
    afterAll(() => dropSchemas(schemas));

    it('executed moves are recorded in the shared store, and checkpoint history shows them', async () => {
      const schema = `cph_${randomBytes(4).toString('hex')}`;
      schemas.push(schema);
      const db = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}schema=${schema}`;
      const dir = tempDir('checkpoint-plan-pg-');
      writeConfig(dir, AGENT);
      const store = await openPostgresStore({ url: PG_URL, schema });
      await store.log.append('events', [{ value: new TextEncoder().encode('{}'), key: 'k' }]);
      await store.close();

      cli(
        dir,
        [
          'checkpoint',
          'reset',
          '--to',
          'latest',
          '--execute',
          '--yes',
          '--reason',
          'skip the backlog',
          '--db',
          db,
        ],
        {
          AGENTCTL_ACTOR: 'bob@ci',
        },
      );
      const plan = cli(dir, ['checkpoint', 'reset', '--db', db, '--json']).json<CheckpointPlan>();
      cli(dir, ['checkpoint', 'reset', '--execute', '--yes', '--reason', 'read it all', '--db', db], {
        AGENTCTL_ACTOR: 'bob@ci',
      });

      expect(plan.changes.filter((c) => c.direction === 'back')).toEqual([
        expect.objectContaining({ events: 1 }),
      ]);
      const history = cli(dir, ['checkpoint', 'history', '--json', '--db', db]).json<CheckpointMove[]>();
      expect(history).toHaveLength(2);
      expect(history[0]).toMatchObject({
        actor: 'bob@ci',
        reason: 'read it all',
        command: 'checkpoint reset --to earliest',
      });
      expect(history[1]).toMatchObject({
        actor: 'bob@ci',
        reason: 'skip the backlog',
        command: 'checkpoint reset --to latest',
      });
      expect(history[0]!.after).toBeUndefined();
      expect(history[1]!.before).toBeUndefined();
      expect(history[0]!.before).toBe(history[1]!.after);
      expect(history[0]!.id).toBeGreaterThan(history[1]!.id);
    });
  },
);
