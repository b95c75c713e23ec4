import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CloudEvent } from '../../src/core/events/cloud-event.js';
import { END_OF_PARTITION, type Partition } from '../../src/core/types.js';
import { tempDir } from '../support/temp.js';
import {
  type Kinesalite,
  listShards,
  mergeShards,
  placeRecords,
  splitShard,
  startKinesalite,
  tips,
} from './support/kinesalite.js';
import { GROUP, keyedEvents, kinesisAgent, openStore, type Seen } from './support/kinesis-agent.js';

let server: Kinesalite;
beforeAll(async () => {
  server = await startKinesalite();
});
afterAll(async () => {
  await server.close();
});

/** Every key's events were processed in the order they were written (their `seq`). */
function outOfOrder(events: readonly CloudEvent[]): string[] {
  const last = new Map<string, number>();
  const wrong: string[] = [];
  for (const e of events) {
    const { key, seq } = e.data as { key: string; seq: number };
    if ((last.get(key) ?? -1) >= seq) wrong.push(`${key}#${seq}`);
    last.set(key, seq);
  }
  return wrong;
}

function countById(events: readonly CloudEvent[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of events) counts.set(e.id, (counts.get(e.id) ?? 0) + 1);
  return counts;
}

describe('Agent on a Kinesis stream (kinesalite)', () => {
  it('Given 20,000 events on 4 shards, When an agent consumes until empty, Then each is processed exactly once, in key order, and every shard is checkpointed at its tip', async () => {
    const stream = await server.createStream(4, 'agent');
    const admin = server.client();
    const events = keyedEvents(20_000, 400);
    const placed = await placeRecords(admin, stream, events);
    expect(new Set(placed.map((p) => p.shard)).size).toBe(4);
    const store = await openStore(tempDir());
    const seen: Seen = { events: [] };

    const summary = await kinesisAgent(server, stream, store, seen).agent.run();

    expect(summary).toMatchObject({ read: 20_000, processed: 20_000, parked: 0, stoppedBy: 'empty' });
    const counts = countById(seen.events);
    expect(counts.size).toBe(20_000);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(outOfOrder(seen.events)).toEqual([]);
    const checkpoints = await store.checkpoints.get(GROUP, `kinesis://${stream}`);
    expect(new Map([...checkpoints].map(([shard, c]) => [shard, c.position]))).toEqual(tips(placed));

    // A second run finds nothing new.
    const again = await kinesisAgent(server, stream, store, seen).agent.run();
    expect(again.read).toBe(0);
    await store.close();
    admin.destroy();
  }, 180_000);

  it('Given a store whose checkpoint of a since-split shard is its last record, When an agent runs (not until empty), Then the parent gets END without a drain and its children are read in the same run', async () => {
    const stream = await server.createStream(1, 'resume-split');
    const admin = server.client();
    const first = await placeRecords(admin, stream, keyedEvents(50, 10, 0));
    const store = await openStore(tempDir());
    const parent = 'shardId-000000000000';
    // As a run before the split left it: the parent checkpointed at its last record, not END.
    await store.checkpoints.set([
      {
        group: GROUP,
        source: `kinesis://${stream}`,
        partition: parent,
        position: first.at(-1)!.sequence,
        owner: 'before',
      },
    ]);
    await delay(1_200);
    await splitShard(admin, stream, parent);
    await placeRecords(admin, stream, keyedEvents(200, 40, 50));
    const seen: Seen = { events: [] };
    const { agent } = kinesisAgent(server, stream, store, seen, { consumer: { untilEmpty: false } });

    const running = agent.run();
    const deadline = Date.now() + 30_000;
    while (seen.events.length < 200 && Date.now() < deadline) await delay(50);
    const endedBeforeDrain = (await store.checkpoints.get(GROUP, `kinesis://${stream}`)).get(
      parent,
    )?.position;
    agent.requestDrain();
    const summary = await running;

    expect(endedBeforeDrain).toBe(END_OF_PARTITION);
    expect(summary).toMatchObject({ read: 200, processed: 200, stoppedBy: 'drain' });
    expect(outOfOrder(seen.events)).toEqual([]);
    await store.close();
    admin.destroy();
  });

  it('Given an agent in the middle of a stream, When a shard is split and two shards are merged, Then parents are read to their end before their children, nothing is lost or repeated, and each key keeps its order', async () => {
    const stream = await server.createStream(2, 'reshard');
    const admin = server.client();
    const [first, second, third] = [
      keyedEvents(2_000, 60, 0),
      keyedEvents(2_000, 60, 2_000),
      keyedEvents(2_000, 60, 4_000),
    ];
    await placeRecords(admin, stream, first);
    const store = await openStore(tempDir());
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let holding = false;
    const seen: Seen = {
      events: [],
      hold: (event) => {
        if ((event.data as { n: number }).n !== 500) return undefined;
        holding = true;
        return gate;
      },
    };
    const { agent } = kinesisAgent(server, stream, store, seen);
    const done: { partition: Partition; position: string }[] = [];
    agent.telemetry.on('message', ({ partition, position }) => done.push({ partition, position }));

    const running = agent.run();
    while (!holding) await delay(10);
    // shard 0 → 2 + 3; then 3 (upper half of 0) + 1 (upper half of the stream) → 4.
    await splitShard(admin, stream, 'shardId-000000000000');
    await placeRecords(admin, stream, second);
    await mergeShards(admin, stream, 'shardId-000000000003', 'shardId-000000000001');
    const placed = await placeRecords(admin, stream, third);
    release();
    const summary = await running;

    expect(summary).toMatchObject({ read: 6_000, processed: 6_000, parked: 0, stoppedBy: 'empty' });
    const counts = countById(seen.events);
    expect(counts.size).toBe(6_000);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(outOfOrder(seen.events)).toEqual([]);

    const shards = await listShards(admin, stream);
    expect(shards.map((s) => [s.ShardId, s.ParentShardId ?? null, s.AdjacentParentShardId ?? null])).toEqual([
      ['shardId-000000000000', null, null],
      ['shardId-000000000001', null, null],
      ['shardId-000000000002', 'shardId-000000000000', null],
      ['shardId-000000000003', 'shardId-000000000000', null],
      ['shardId-000000000004', 'shardId-000000000003', 'shardId-000000000001'],
    ]);
    const indexes = (shard: string) => done.flatMap((d, i) => (d.partition === shard ? [i] : []));
    for (const child of shards) {
      const parents = [child.ParentShardId, child.AdjacentParentShardId].filter(
        (p): p is string => p !== undefined,
      );
      const firstOfChild = Math.min(...indexes(child.ShardId!));
      for (const parent of parents) expect(Math.max(...indexes(parent))).toBeLessThan(firstOfChild);
    }
    const checkpoints = await store.checkpoints.get(GROUP, `kinesis://${stream}`);
    const positions = Object.fromEntries([...checkpoints].map(([shard, c]) => [shard, c.position]));
    const open = tips(placed);
    expect(positions).toEqual({
      'shardId-000000000000': END_OF_PARTITION,
      'shardId-000000000001': END_OF_PARTITION,
      'shardId-000000000003': END_OF_PARTITION,
      'shardId-000000000002': open.get('shardId-000000000002'),
      'shardId-000000000004': open.get('shardId-000000000004'),
    });
    const statuses = await kinesisAgent(server, stream, store, { events: [] }).source.describe();
    expect(statuses.map((s) => [s.partition, s.state, s.committed, s.detail?.parents])).toEqual([
      ['shardId-000000000000', 'ended', END_OF_PARTITION, undefined],
      ['shardId-000000000001', 'ended', END_OF_PARTITION, undefined],
      ['shardId-000000000002', 'unassigned', open.get('shardId-000000000002'), 'shardId-000000000000'],
      ['shardId-000000000003', 'ended', END_OF_PARTITION, 'shardId-000000000000'],
      [
        'shardId-000000000004',
        'unassigned',
        open.get('shardId-000000000004'),
        'shardId-000000000003,shardId-000000000001',
      ],
    ]);
    await store.close();
    admin.destroy();
  });
});
