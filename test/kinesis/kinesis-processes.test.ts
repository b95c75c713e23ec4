import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { GetRecordsCommand, GetShardIteratorCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { CloudEvent } from '../../src/core/events/cloud-event.js';
import { runIdOf } from '../../src/core/model/run-id.js';
import { openSqliteStore } from '../../src/core/store/sqlite/sqlite-state-store.js';
import { readEffectRecords } from '../support/effect-log.js';
import { type AgentChild, startAgentChild } from '../support/fixture-child.js';
import { tempDir } from '../support/temp.js';
import { type Kinesalite, type Placed, placeRecords, startKinesalite, tips } from './support/kinesalite.js';
import { keyedEvents } from './support/kinesis-agent.js';

const CHILD = fileURLToPath(new URL('./fixtures/kinesis-agent-child.ts', import.meta.url));
/** As in fixtures/kinesis-agent-child.ts. */
const GROUP = 'kinesis-child';

/** Starts the child agent (the real engine in its own process) against the in-process kinesalite. */
function startChild(
  uri: string,
  db: string,
  effects: string,
  id: string,
  mode: 'until-empty' | 'forever',
  ttlMs = 2_000,
): AgentChild {
  return startAgentChild(CHILD, [uri, db, effects, id, mode, String(ttlMs)]);
}

/** Event ids of the effects, one per execution. */
function effectLines(effects: string): string[] {
  return effectsBy(effects).map(([event]) => event);
}

/** `[event id, agent id]` per execution. */
function effectsBy(effects: string): [string, string][] {
  return readEffectRecords(effects).map((line) => line.split(' ') as [string, string]);
}

async function until(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await delay(25);
  }
}

/** The group's checkpoints of the stream, by shard. */
async function checkpointsOf(db: string, stream: string): Promise<Map<string, string>> {
  const store = await openSqliteStore({ path: db, readonly: true });
  try {
    const checkpoints = await store.checkpoints.get(GROUP, `kinesis://${stream}`);
    return new Map([...checkpoints].map(([shard, c]) => [shard, c.position]));
  } finally {
    await store.close();
  }
}

/**
 * Where an event with no effect stands, for the failure message: its shard and sequence, the shard's
 * checkpoint when the first agent was killed and now, its run in the store, the failed store's size,
 * whether its id appears anywhere in the effect log's bytes, and whether Kinesis still has it.
 */
async function whereIs(
  event: CloudEvent,
  at: Placed,
  context: { db: string; effects: string; admin: KinesisClient; stream: string; atKill: Map<string, string> },
): Promise<Record<string, unknown>> {
  const { db, effects, admin, stream, atKill } = context;
  const store = await openSqliteStore({ path: db, readonly: true });
  try {
    const run = await store.runs.get(runIdOf(GROUP, event, 'effect-orders'), event.id);
    const iterator = await admin.send(
      new GetShardIteratorCommand({
        StreamName: stream,
        ShardId: at.shard,
        ShardIteratorType: 'AT_SEQUENCE_NUMBER',
        StartingSequenceNumber: at.sequence,
      }),
    );
    const got = await admin.send(new GetRecordsCommand({ ShardIterator: iterator.ShardIterator!, Limit: 1 }));
    return {
      id: event.id,
      ...at,
      checkpointAtKill: atKill.get(at.shard),
      checkpointNow: (await checkpointsOf(db, stream)).get(at.shard),
      run: run === undefined ? null : { state: run.state, attempts: run.attempts, worker: run.worker },
      failed: (await store.failed.list({ limit: 10 })).map((f) => f.reason),
      inLog: readFileSync(effects, 'utf8').includes(event.id),
      inKinesis: got.Records?.[0]?.SequenceNumber === at.sequence,
    };
  } finally {
    await store.close();
  }
}

let server: Kinesalite;
beforeAll(async () => {
  server = await startKinesalite();
});
afterAll(async () => {
  await server.close();
});

describe('Kinesis agents as processes (kinesalite)', () => {
  it('Given an agent killed with SIGKILL in the middle of 4 shards, When it is restarted until empty, Then nothing is lost and every shard is checkpointed at its tip', async () => {
    const stream = await server.createStream(4, 'crash');
    const admin = server.client();
    const events = keyedEvents(8_000, 100);
    const placed = await placeRecords(admin, stream, events);
    const dir = tempDir('kinesis-crash-');
    const db = join(dir, 'agent.db');
    const effects = join(dir, 'effects.log');
    writeFileSync(effects, '');

    const first = startChild(server.uri(stream), db, effects, 'crash-agent', 'forever');
    await first.started;
    await until('a quarter of the events are processed', () => effectLines(effects).length >= 2_000);
    first.process.kill('SIGKILL');
    const killed = await first.exited;
    expect({ signal: killed.signal, stderr: killed.stderr }).toEqual({ signal: 'SIGKILL', stderr: '' });
    const before = new Set(effectLines(effects));
    expect(before.size).toBeLessThan(events.length);
    const atKill = await checkpointsOf(db, stream);

    const second = startChild(server.uri(stream), db, effects, 'crash-agent', 'until-empty');
    const { code, stdout, stderr } = await second.exited;
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const summary = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      read: number;
      stoppedBy: string;
      parked: number;
    };
    expect(summary).toMatchObject({ stoppedBy: 'empty', parked: 0 });
    // It resumed from the checkpoints: it did not read everything again.
    expect(summary.read).toBeLessThan(events.length);
    expect(summary.read).toBeGreaterThanOrEqual(events.length - before.size);

    const lines = new Set(effectLines(effects));
    const missing = events.filter((e) => !lines.has(e.event.id));
    const where = await Promise.all(
      missing
        .slice(0, 3)
        .map((e) => whereIs(e.event, placed[events.indexOf(e)]!, { db, effects, admin, stream, atKill })),
    );
    expect(missing.map((e) => e.event.id).slice(0, 5), JSON.stringify(where)).toEqual([]);
    expect(await checkpointsOf(db, stream)).toEqual(tips(placed));
    admin.destroy();
  });

  it('Given two agent processes on one store, When they share 4 shards and one is killed, Then they split them 2/2 and the survivor takes all 4 and reads everything', async () => {
    const stream = await server.createStream(4, 'leases');
    const admin = server.client();
    const events = keyedEvents(6_000, 100);
    const dir = tempDir('kinesis-leases-');
    const db = join(dir, 'agent.db');
    const effects = join(dir, 'effects.log');
    writeFileSync(effects, '');
    const uri = server.uri(stream);

    const a = startChild(uri, db, effects, 'agent-a', 'forever', 1_000);
    await a.started;
    const b = startChild(uri, db, effects, 'agent-b', 'forever', 1_000);
    await b.started;
    const store = await openSqliteStore({ path: db, readonly: true });
    onTestFinished(() => store.close());
    const holders = async () => {
      const now = Date.now();
      const leases = await store.leases.list(GROUP, `kinesis://${stream}`);
      const count = new Map<string, number>();
      for (const l of leases)
        if (l.owner !== '' && l.expiresAt > now) count.set(l.owner, (count.get(l.owner) ?? 0) + 1);
      return Object.fromEntries([...count].sort());
    };

    await until('the shards are split 2/2', async () => {
      const h = await holders();
      return h['agent-a'] === 2 && h['agent-b'] === 2;
    });
    const early = await placeRecords(admin, stream, events.slice(0, 2_000));
    await until(
      'both read their shards',
      () => new Set(effectsBy(effects).map(([, agent]) => agent)).size === 2,
    );
    expect(await holders()).toEqual({ 'agent-a': 2, 'agent-b': 2 });
    b.process.kill('SIGKILL');
    await b.exited;
    await until('agent-a holds every shard', async () => (await holders())['agent-a'] === 4);
    expect(await holders()).toEqual({ 'agent-a': 4 });
    const late = await placeRecords(admin, stream, events.slice(2_000));
    await until('every event is processed', () => new Set(effectLines(effects)).size === events.length);

    a.process.kill('SIGTERM');
    const { code, stderr } = await a.exited;
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const checkpoints = await store.checkpoints.get(GROUP, `kinesis://${stream}`);
    expect(new Map([...checkpoints].map(([shard, c]) => [shard, c.position]))).toEqual(
      tips([...early, ...late]),
    );
    admin.destroy();
  });
});
