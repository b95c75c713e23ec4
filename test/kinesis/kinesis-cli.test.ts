import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { openSqliteStore } from '../../src/core/store/sqlite/sqlite-state-store.js';
import { END_OF_PARTITION } from '../../src/core/types.js';
import { type CliResult, startAgentctl, writeConfig } from '../support/cli.js';
import { tempDir } from '../support/temp.js';
import {
  type Kinesalite,
  listShards,
  mergeShards,
  placeRecords,
  splitShard,
  startKinesalite,
} from './support/kinesalite.js';
import { keyedEvents } from './support/kinesis-agent.js';

let server: Kinesalite;
beforeAll(async () => {
  server = await startKinesalite();
});
afterAll(async () => {
  await server.close();
});

/** A project whose agent `orders` records every `order.*` event; consume is run with `--source URI`. */
function givenAProject(): { dir: string; db: string; effects: string } {
  const dir = tempDir('kinesis-cli-');
  const effects = join(dir, 'effects.ndjson');
  writeConfig(
    dir,
    `{
      name: 'orders',
      consumer: { heartbeatMs: 200, leaseTtlMs: 2_000, commitPolicy: { intervalMs: 200, messages: 1_000 } },
      publisher: { sink: 'none' },
      rules: [rule({ name: 'record-order', on: 'order.placed', process: 'record' })],
      processes: [defineProcess({ name: 'record', steps: [{ name: 'note', run: ({ event }) => {
        appendFileSync(${JSON.stringify(effects)}, JSON.stringify(event.data) + '\\n');
        return event.id;
      } }] })],
    }`,
    "import { appendFileSync } from 'node:fs';",
  );
  return { dir, db: join(dir, '.agentctl', 'agent.db'), effects };
}

/** The `data` of every event the agent's process ran for, in the order it ran. */
function effectsOf(path: string): { n: number; key: string; seq: number }[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { n: number; key: string; seq: number });
}

/** Runs `agentctl consume --until-empty --json` to its end (asynchronously: kinesalite is served here). */
async function consumeUntilEmpty(dir: string, uri: string, timeoutMs = 60_000): Promise<CliResult> {
  const run = startAgentctl(['consume', '--until-empty', '--json', '--source', uri], { cwd: dir });
  const timer = setTimeout(() => run.child.kill('SIGKILL'), timeoutMs);
  onTestFinished(() => {
    if (run.child.exitCode === null) run.child.kill('SIGKILL');
  });
  const result = await run.done;
  clearTimeout(timer);
  return result;
}

interface Summary {
  readonly type: string;
  readonly read: number;
  readonly processed: number;
  readonly stoppedBy: string;
}

function summaryOf(result: CliResult): Summary | undefined {
  return result.lines<Summary>().find((l) => l.type === 'summary');
}

describe('agentctl consume on a resharded Kinesis stream (kinesalite)', () => {
  it.each([1, 2])(
    'Given a %i-shard stream consumed to empty, When a shard is split and 300 events are put, Then the next consume --until-empty reads all 300, children included, and the parent is checkpointed END',
    async (shards) => {
      const { dir, db } = givenAProject();
      const stream = await server.createStream(shards, 'split');
      const admin = server.client();
      await placeRecords(admin, stream, keyedEvents(100, 20, 0));
      const first = await consumeUntilEmpty(dir, server.uri(stream));
      expect(first.code, first.stderr).toBe(0);
      expect(summaryOf(first)).toMatchObject({ read: 100, stoppedBy: 'empty' });

      const parent = (await listShards(admin, stream))[0]!.ShardId!;
      await splitShard(admin, stream, parent);
      const placed = await placeRecords(admin, stream, keyedEvents(300, 60, 100));
      const children = new Set(placed.map((p) => p.shard).filter((s) => s !== parent));
      expect(children.size).toBeGreaterThan(0);

      const second = await consumeUntilEmpty(dir, server.uri(stream));
      expect(second.code, second.stderr).toBe(0);
      expect(summaryOf(second)).toMatchObject({ read: 300, processed: 300, stoppedBy: 'empty' });
      const store = await openSqliteStore({ path: db, readonly: true });
      const checkpoints = await store.checkpoints.get('orders', `kinesis://${stream}`);
      await store.close();
      expect(checkpoints.get(parent)?.position).toBe(END_OF_PARTITION);
      for (const child of children) expect(checkpoints.get(child)?.position).toBeDefined();

      const third = await consumeUntilEmpty(dir, server.uri(stream), 30_000);
      expect(third.code, third.stderr).toBe(0);
      expect(summaryOf(third)).toMatchObject({ read: 0, stoppedBy: 'empty' });
      admin.destroy();
    },
    120_000,
  );

  it('Given consume running on a 2-shard stream, When the two shards are merged and more events are put, Then the child is read in the same run, nothing is lost or repeated, each key keeps its order, and SIGINT ends it with exit 0', async () => {
    const { dir, db, effects } = givenAProject();
    const stream = await server.createStream(2, 'merge');
    const admin = server.client();
    await placeRecords(admin, stream, keyedEvents(200, 40, 0));
    const consume = startAgentctl(['consume', '--json', '--source', server.uri(stream)], { cwd: dir });
    onTestFinished(() => {
      if (consume.child.exitCode === null) consume.child.kill('SIGKILL');
    });
    await until('the first 200 events are processed', () => effectsOf(effects).length >= 200);

    await mergeShards(admin, stream, 'shardId-000000000000', 'shardId-000000000001');
    const placed = await placeRecords(admin, stream, keyedEvents(300, 40, 200));
    expect(new Set(placed.map((p) => p.shard))).toEqual(new Set(['shardId-000000000002']));
    await until('all 500 events are processed', () => effectsOf(effects).length >= 500);
    await until('the child is checkpointed at its tip', async () => {
      const store = await openSqliteStore({ path: db, readonly: true });
      const checkpoints = await store.checkpoints.get('orders', `kinesis://${stream}`);
      await store.close();
      return checkpoints.get('shardId-000000000002')?.position === placed.at(-1)!.sequence;
    });
    consume.child.kill('SIGINT');
    const exit = await consume.done;

    expect(exit.code, exit.stderr).toBe(0);
    expect(summaryOf(exit)).toMatchObject({ read: 500, processed: 500, stoppedBy: 'drain' });
    const seen = effectsOf(effects);
    expect(new Set(seen.map((e) => e.n)).size).toBe(500);
    expect(seen.length).toBe(500);
    const last = new Map<string, number>();
    for (const e of seen) {
      expect(e.seq, e.key).toBeGreaterThan(last.get(e.key) ?? -1);
      last.set(e.key, e.seq);
    }
    const store = await openSqliteStore({ path: db, readonly: true });
    const checkpoints = await store.checkpoints.get('orders', `kinesis://${stream}`);
    await store.close();
    expect(checkpoints.get('shardId-000000000000')?.position).toBe(END_OF_PARTITION);
    expect(checkpoints.get('shardId-000000000001')?.position).toBe(END_OF_PARTITION);
    admin.destroy();
  }, 120_000);
});

async function until(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 40_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await delay(50);
  }
}
