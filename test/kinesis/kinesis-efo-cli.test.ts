import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { openSqliteStore } from '../../src/core/store/sqlite/sqlite-state-store.js';
import { type CliResult, startAgentctl, writeConfig } from '../support/cli.js';
import { effectRecordSource, readEffectRecords } from '../support/effect-log.js';
import { type EfoServer, startEfoServer } from '../support/kinesis-efo-server.js';
import { tempDir } from '../support/temp.js';
import { type Kinesalite, placeRecords, startKinesalite } from './support/kinesalite.js';
import { keyedEvents } from './support/kinesis-agent.js';

let kinesalite: Kinesalite;
let efo: EfoServer;
beforeAll(async () => {
  kinesalite = await startKinesalite();
  // Subscriptions end every 700 ms here (Kinesis: 5 minutes), so every run re-subscribes mid-way.
  efo = await startEfoServer({ kinesalite: kinesalite.endpoint, subscriptionMs: 700, heartbeatMs: 200 });
});
afterAll(async () => {
  await efo.close();
  await kinesalite.close();
});

const uriOf = (stream: string) =>
  `kinesis://${stream}?region=us-east-1&endpoint=${encodeURIComponent(efo.endpoint)}&consumer=orders-efo`;

/** A project whose agent `orders` records every `order.placed` event, `delayMs` per event. */
function givenAProject(delayMs = 0): { dir: string; db: string; effects: string } {
  const dir = tempDir('kinesis-efo-cli-');
  const effects = join(dir, 'effects.ndjson');
  writeConfig(
    dir,
    `{
      name: 'orders',
      consumer: { heartbeatMs: 200, leaseTtlMs: 2_000, commitPolicy: { intervalMs: 100, messages: 50 } },
      publisher: { sink: 'none' },
      rules: [rule({ name: 'record-order', on: 'order.placed', process: 'record' })],
      processes: [defineProcess({ name: 'record', steps: [{ name: 'note', run: async ({ event }) => {
        if (${delayMs} > 0) await new Promise((resolve) => setTimeout(resolve, ${delayMs}));
        appendFileSync(${JSON.stringify(effects)}, ${effectRecordSource('JSON.stringify(event.data)')});
        return event.id;
      } }] })],
    }`,
    "import { appendFileSync } from 'node:fs';",
  );
  return { dir, db: join(dir, '.agentctl', 'agent.db'), effects };
}

function effectsOf(path: string): { n: number }[] {
  return readEffectRecords(path).map((l) => JSON.parse(l) as { n: number });
}

/** Runs the CLI in the background (never spawnSync: the test server lives in this event loop). */
async function run(dir: string, args: string[], timeoutMs = 60_000): Promise<CliResult> {
  const started = startAgentctl(args, { cwd: dir });
  const timer = setTimeout(() => started.child.kill('SIGKILL'), timeoutMs);
  onTestFinished(() => {
    if (started.child.exitCode === null) started.child.kill('SIGKILL');
  });
  const result = await started.done;
  clearTimeout(timer);
  return result;
}

async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 40_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await delay(50);
  }
}

interface StatusJson {
  readonly partitions: readonly {
    readonly partition: string;
    readonly lagMs?: number;
    readonly detail?: Readonly<Record<string, unknown>>;
  }[];
}

describe('agentctl consume kinesis://STREAM?consumer=NAME (enhanced fan-out, test server)', () => {
  it('Given 400 events on 2 shards, When consume --until-empty reads them with subscriptions ending mid-way, Then each is processed once and both shards are checkpointed at their tips', async () => {
    const { dir, db, effects } = givenAProject();
    const stream = await kinesalite.createStream(2, 'efo-cli');
    const placed = await placeRecords(kinesalite.client(), stream, keyedEvents(400, 40, 0));

    const result = await run(dir, ['consume', '--until-empty', '--json', '--source', uriOf(stream)]);

    expect(result.code, result.stderr).toBe(0);
    const seen = effectsOf(effects).map((e) => e.n);
    expect(seen).toHaveLength(400);
    expect(new Set(seen).size).toBe(400);
    const store = await openSqliteStore({ path: db, readonly: true });
    const checkpoints = await store.checkpoints.get('orders', `kinesis://${stream}`);
    await store.close();
    for (const shard of new Set(placed.map((p) => p.shard))) {
      const tip = placed.filter((p) => p.shard === shard).at(-1)!.sequence;
      expect(checkpoints.get(shard)?.position).toBe(tip);
    }
    const subscriptions = efo.subscriptions.filter((s) => s.stream === stream);
    expect(new Set(subscriptions.map((s) => s.shard)).size).toBe(2);
  }, 120_000);

  it('Given consume killed with SIGKILL mid-way, When it is started again, Then every event is processed (none lost), and status shows the consumer and each shard millisBehindLatest', async () => {
    const { dir, effects } = givenAProject(15);
    const stream = await kinesalite.createStream(2, 'efo-kill');
    await placeRecords(kinesalite.client(), stream, keyedEvents(600, 40, 0));
    const consume = () => {
      const started = startAgentctl(['consume', '--json', '--source', uriOf(stream)], { cwd: dir });
      onTestFinished(() => {
        if (started.child.exitCode === null) started.child.kill('SIGKILL');
      });
      return started;
    };
    const first = consume();
    await until('some events are processed', () => effectsOf(effects).length >= 60);
    first.child.kill('SIGKILL');
    await first.done;
    expect(effectsOf(effects).length).toBeLessThan(600);

    const second = consume();
    await until('the restarted agent processes events', () => effectsOf(effects).length >= 120);
    const status = await run(dir, ['status', '--json']);
    const text = await run(dir, ['status']);
    await until(
      'all 600 events are processed',
      () => new Set(effectsOf(effects).map((e) => e.n)).size >= 600,
    );
    second.child.kill('SIGINT');
    const exit = await second.done;

    expect(exit.code, exit.stderr).toBe(0);
    expect(status.code, status.stderr).toBe(0);
    const rows = status.json<StatusJson>().partitions;
    expect(rows.map((r) => r.partition).sort()).toEqual(['shardId-000000000000', 'shardId-000000000001']);
    for (const row of rows) {
      expect(typeof row.lagMs, JSON.stringify(row)).toBe('number');
      expect(row.detail?.consumer).toBe('orders-efo');
      expect(String(row.detail?.consumerArn)).toMatch(/\/consumer\/orders-efo:/);
    }
    expect(text.stdout).toMatch(/consumer orders-efo +arn:aws:kinesis:.*\/consumer\/orders-efo:/);
  }, 120_000);

  it('Given ?consumer= empty or with a name Kinesis refuses, When consume starts, Then it exits 2 naming the URI parameter (not a config key the user never wrote) with a try: line', async () => {
    const { dir } = givenAProject();
    for (const [consumer, said] of [
      ['', /the URI parameter \?consumer=: expected a non-empty string/],
      ['bad%20name!', /the URI parameter \?consumer=: "bad name!" is not a stream consumer name/],
    ] as const) {
      const result = await run(dir, [
        'consume',
        '-s',
        `kinesis://never-read?region=us-east-1&endpoint=${encodeURIComponent(efo.endpoint)}&consumer=${consumer}`,
        '--until-empty',
      ]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(said);
      expect(result.stderr).toMatch(/\n {2}try: /);
      expect(result.stderr).not.toMatch(/adapters\.kinesis/);
    }
  }, 60_000);
});
