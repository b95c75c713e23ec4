import { GetRecordsCommand, GetShardIteratorCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { agentctl, type CliResult, startAgentctl, writeConfig } from '../support/cli.js';
import { tempDir } from '../support/temp.js';
import { type Kinesalite, listShards, placeRecords, startKinesalite } from './support/kinesalite.js';
import { keyedEvents } from './support/kinesis-agent.js';

let server: Kinesalite;
beforeAll(async () => {
  server = await startKinesalite();
});
afterAll(async () => {
  await server.close();
});

/** A project reading `uri` whose process fails for good for every even event (those are parked). */
function givenProject(uri: string): string {
  const dir = tempDir('redrive-kinesis-');
  writeConfig(
    dir,
    `{
      name: 'orders',
      source: ${JSON.stringify(uri)},
      publisher: { sink: 'none' },
      rules: [rule({ name: 'r', on: 'order.placed', process: 'p' })],
      processes: [defineProcess({ name: 'p', steps: [{ name: 's', run: ({ event }) => {
        if (event.data.n % 2 === 0) throw new FatalError('downstream is down');
        return event.id;
      } }] })],
    }`,
  );
  return dir;
}

/** Runs the CLI asynchronously (kinesalite is served by this process) to its end. */
async function cli(dir: string, args: string[]): Promise<CliResult> {
  const run = startAgentctl(args, { cwd: dir });
  onTestFinished(() => {
    if (run.child.exitCode === null) run.child.kill('SIGKILL');
  });
  return run.done;
}

/** Every record of every shard: shard, partition key, event id. */
async function allRecords(
  client: KinesisClient,
  stream: string,
): Promise<{ shard: string; key: string; id: string; data: string }[]> {
  const out: { shard: string; key: string; id: string; data: string }[] = [];
  for (const shard of await listShards(client, stream)) {
    const it = await client.send(
      new GetShardIteratorCommand({
        StreamName: stream,
        ShardId: shard.ShardId!,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    let iterator = it.ShardIterator;
    for (let i = 0; iterator !== undefined && i < 10; i++) {
      const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
      for (const r of page.Records ?? []) {
        const data = new TextDecoder().decode(r.Data);
        out.push({
          shard: shard.ShardId!,
          key: r.PartitionKey!,
          id: (JSON.parse(data) as { id: string }).id,
          data,
        });
      }
      if ((page.Records ?? []).length === 0) break;
      iterator = page.NextShardIterator;
    }
  }
  return out;
}

describe('agentctl replay --failed --to-origin on Kinesis (kinesalite)', () => {
  it('Given 10 events parked from a 4-shard stream, When --dry-run then redriven, Then the dry run writes nothing, and each event is put again once with its original partition key on its original shard, its bytes intact, and marked replayed', async () => {
    const stream = await server.createStream(4, 'redrive');
    const admin = server.client();
    const entries = keyedEvents(20, 20);
    const placed = await placeRecords(admin, stream, entries);
    const dir = givenProject(server.uri(stream));
    const consumed = await cli(dir, ['consume', '--until-empty']);
    expect(consumed.code, consumed.stderr).toBe(0);
    const before = await allRecords(admin, stream);
    expect(before).toHaveLength(20);

    const plan = await cli(dir, ['replay', '--failed', '--to-origin', '--dry-run']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain(`would redrive 10 items to kinesis://${stream}`);
    expect(plan.stdout).toContain('partition key key-0');
    expect(await allRecords(admin, stream)).toHaveLength(20);

    const run = await cli(dir, ['replay', '--failed', '--to-origin', '--yes', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json<{ redriven: number; failed: number }>()).toMatchObject({ redriven: 10, failed: 0 });

    const after = await allRecords(admin, stream);
    expect(after).toHaveLength(30);
    const shardOf = new Map(entries.map((e, i) => [e.event.id, placed[i]!.shard]));
    expect(new Set(placed.map((p) => p.shard)).size).toBeGreaterThan(1);
    for (const e of entries) {
      const copies = after.filter((r) => r.id === e.event.id);
      const parked = (e.event.data as { n: number }).n % 2 === 0;
      expect(copies).toHaveLength(parked ? 2 : 1);
      for (const copy of copies)
        expect(copy).toEqual({ shard: shardOf.get(e.event.id), key: e.key, id: e.event.id, data: e.data });
    }
    const listed = agentctl(['failed', 'list', '--json', '--status', 'any'], { cwd: dir });
    expect(listed.json<{ status: string }[]>().map((i) => i.status)).toEqual(Array(10).fill('replayed'));
    admin.destroy();
  }, 180_000);
});
