import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { CheckpointRow } from '../../src/core/ops/checkpoint-list.js';
import type { CheckpointPlan } from '../../src/core/ops/checkpoint-moves.js';
import type { CheckpointMove } from '../../src/core/store/records.js';
import { openSqliteStore } from '../../src/core/store/sqlite/sqlite-state-store.js';
import { type CliResult, startAgentctl, writeConfig } from '../support/cli.js';
import { tempDir } from '../support/temp.js';
import { type Kinesalite, placeRecords, readShards, startKinesalite } from './support/kinesalite.js';
import { keyedEvents } from './support/kinesis-agent.js';

let server: Kinesalite;
beforeAll(async () => {
  server = await startKinesalite();
});
afterAll(async () => {
  await server.close();
});

/** Runs agentctl to its end (asynchronously: kinesalite is served by this process); exit 0 expected. */
async function run(dir: string, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const child = startAgentctl(args, { cwd: dir, env });
  const timer = setTimeout(() => child.child.kill('SIGKILL'), 90_000);
  onTestFinished(() => {
    if (child.child.exitCode === null) child.child.kill('SIGKILL');
  });
  const result = await child.done;
  clearTimeout(timer);
  expect(result.code, result.stderr).toBe(0);
  return result;
}

/** Every record of each shard, in order, with its arrival time (ms), read through the SDK. */
async function shardRecords(stream: string): Promise<Map<string, { sequence: string; at: number }[]>> {
  const shards = await readShards(server.client(), stream);
  return new Map(
    [...shards].map(([shard, records]) => [
      shard,
      records.map((r) => ({ sequence: r.SequenceNumber!, at: r.ApproximateArrivalTimestamp!.getTime() })),
    ]),
  );
}

function givenAProject(): string {
  const dir = tempDir('kinesis-ckplan-');
  writeConfig(
    dir,
    `{
      name: 'orders',
      publisher: { sink: 'none' },
      rules: [rule({ name: 'record-order', on: 'order.placed', process: 'record' })],
      processes: [defineProcess({ name: 'record', steps: [{ name: 'note', run: ({ event }) => event.id }] })],
    }`,
  );
  return dir;
}

const positions = (rows: readonly CheckpointRow[]) =>
  Object.fromEntries(rows.map((r) => [r.partition, r.position]));

describe('agentctl checkpoint set on Kinesis (kinesalite, 4 shards)', () => {
  it('--to-time: the plan changes nothing; executed, each shard resumes at its first record stored at or after T; --shift-by counts exactly', async () => {
    const dir = givenAProject();
    const stream = await server.createStream(4, 'ckplan');
    const uri = server.uri(stream);
    const admin = server.client();
    await placeRecords(admin, stream, keyedEvents(40, 40, 0));
    await delay(300);
    const at = Date.now();
    await delay(300);
    await placeRecords(admin, stream, keyedEvents(40, 40, 40));
    await run(dir, ['consume', '--until-empty', '--source', uri]);
    const list = async () =>
      (await run(dir, ['checkpoint', 'list', '--json', '--source', uri])).json<CheckpointRow[]>();
    const before = await list();
    expect(before).toHaveLength(4);
    const T = new Date(at).toISOString();

    const plan = (
      await run(dir, ['checkpoint', 'set', '--to-time', T, '--source', uri, '--json'])
    ).json<CheckpointPlan>();

    expect(await list()).toEqual(before);
    expect(plan.executed).toBe(false);
    expect(plan.changes.every((c) => c.direction === 'back' && c.events === undefined)).toBe(true);

    await run(dir, [
      'checkpoint',
      'set',
      '--to-time',
      T,
      '--source',
      uri,
      '--execute',
      '--yes',
      '--reason',
      'replay after T',
    ]);

    const after = positions(await list());
    const records = await shardRecords(stream);
    for (const [shard, shardRecords] of records) {
      expect(shardRecords.some((r) => r.at >= at) && shardRecords.some((r) => r.at < at)).toBe(true);
      const index = shardRecords.findIndex((r) => r.sequence === after[shard]);
      expect(index, `shard ${shard} checkpoint ${after[shard]}`).toBeGreaterThanOrEqual(0);
      expect(shardRecords[index]!.at).toBeLessThan(at);
      expect(shardRecords[index + 1]!.at).toBeGreaterThanOrEqual(at);
    }
    const history = (await run(dir, ['checkpoint', 'history', '--source', uri, '--json'])).json<
      CheckpointMove[]
    >();
    expect(history.map((m) => [m.partition, m.before, m.after, m.reason]).sort()).toEqual(
      before.map((r) => [r.partition, r.position, after[r.partition], 'replay after T']).sort(),
    );

    const [shard, shardList] = [...records][0]!;
    const from = shardList.findIndex((r) => r.sequence === after[shard]);
    const back = (
      await run(dir, [
        'checkpoint',
        'set',
        '-p',
        shard,
        '--shift-by=-3',
        '--source',
        uri,
        '--execute',
        '--yes',
        '--json',
      ])
    ).json<CheckpointPlan>();
    expect(back.changes).toEqual([
      expect.objectContaining({ after: shardList[from - 3]!.sequence, direction: 'back', events: 3 }),
    ]);
    const forward = (
      await run(dir, [
        'checkpoint',
        'set',
        '-p',
        shard,
        '--shift-by',
        '5',
        '--source',
        uri,
        '--execute',
        '--yes',
        '--json',
      ])
    ).json<CheckpointPlan>();
    expect(forward.changes).toEqual([
      expect.objectContaining({ after: shardList[from + 2]!.sequence, direction: 'forward', events: 5 }),
    ]);
  }, 300_000);

  it('a time past the last record (kinesalite gives no iterator then) plans the latest position; an empty shard plans none', async () => {
    const dir = givenAProject();
    await (await openSqliteStore({ path: join(dir, '.agentctl', 'agent.db') })).close();
    const stream = await server.createStream(2, 'ckplan-tip');
    const uri = server.uri(stream);
    const placed = await placeRecords(server.client(), stream, [
      { key: 'a', data: '{}' },
      { key: 'a', data: '{}' },
    ]);
    await delay(100);

    const plan = (
      await run(dir, ['checkpoint', 'set', '--to-time', new Date().toISOString(), '--source', uri, '--json'])
    ).json<CheckpointPlan>();

    const used = placed[0]!.shard;
    expect(plan.changes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ partition: used, after: placed[1]!.sequence, direction: 'forward' }),
      ]),
    );
    const empty = plan.changes.find((c) => c.partition !== used)!;
    expect(empty).toMatchObject({ direction: 'none' });
    expect(empty.after).toBeUndefined();
  }, 120_000);
});
