/**
 * Fleet mode: three consumer processes share one PostgreSQL state store and one Kinesis stream of 8
 * shards (kinesalite). They split the shards evenly; when one is killed, the others take its shards
 * over; no event is lost, and no shard ever has two live lease owners at once.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { openStore } from '../../src/core/store/open-store.js';
import type { StateStore } from '../../src/core/store/state-store.js';
import { type Kinesalite, placeRecords, startKinesalite } from '../kinesis/support/kinesalite.js';
import { keyedEvents } from '../kinesis/support/kinesis-agent.js';
import { readEffectRecords } from '../support/effect-log.js';
import { dropSchemas, PG_URL, postgresAvailable, serviceSuite } from '../support/services.js';
import { tempDir } from '../support/temp.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CHILD = join(ROOT, 'test/kinesis/fixtures/kinesis-agent-child.ts');
const GROUP = 'kinesis-child';
const available = await postgresAvailable();

function startConsumer(uri: string, db: string, effects: string, id: string) {
  const child = spawn(
    process.execPath,
    ['--import', 'jiti/register', CHILD, uri, db, effects, id, 'forever', '2000'],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
  return { child, exited, stderr: () => stderr };
}

describe.skipIf(!available)(
  serviceSuite('fleet mode on PostgreSQL', available, 'PostgreSQL', 'PG_URL'),
  () => {
    let kinesis: Kinesalite;
    const schema = `fleet_${Date.now().toString(36)}`;
    const db = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}schema=${schema}`;
    let store: StateStore;

    beforeAll(async () => {
      kinesis = await startKinesalite();
      store = await openStore(db);
    });
    afterAll(async () => {
      await store?.close();
      await kinesis?.close();
      await dropSchemas([schema]);
    });

    it('Given three consumers on 8 shards, When one is killed, Then its shards move to the others, nothing is lost, and no shard has two owners at once', async () => {
      const stream = await kinesis.createStream(8, 'fleet');
      const uri = kinesis.uri(stream);
      const admin = kinesis.client();
      const effects = join(tempDir(), 'effects.log');
      writeFileSync(effects, '');
      await placeRecords(admin, stream, keyedEvents(12_000, 64));

      const overlaps: string[] = [];
      const splits: number[][] = [];
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const leases = await store.leases.list(GROUP, `kinesis://${stream}`).catch(() => []);
          const now = Date.now();
          const live = leases.filter((l) => l.owner !== '' && l.expiresAt > now);
          const byShard = new Map<string, Set<string>>();
          for (const l of live)
            byShard.set(l.partition, (byShard.get(l.partition) ?? new Set()).add(l.owner));
          for (const [shard, owners] of byShard)
            if (owners.size > 1) overlaps.push(`${shard}: ${[...owners].join(', ')}`);
          const count = (owner: string) => live.filter((l) => l.owner === owner).length;
          splits.push(['a', 'b', 'c'].map(count));
          await delay(100);
        }
      })();

      const began = Date.now();
      const consumers = ['a', 'b', 'c'].map((id) => ({ id, ...startConsumer(uri, db, effects, id) }));
      const split = async () => {
        const leases = await store.leases.list(GROUP, `kinesis://${stream}`);
        const live = leases.filter((l) => l.owner !== '' && l.expiresAt > Date.now());
        return ['a', 'b', 'c'].map((o) => live.filter((l) => l.owner === o).length).sort();
      };
      await expect.poll(split, { timeout: 60_000, interval: 250 }).toEqual([2, 3, 3]);
      console.log(`fleet: split 3/3/2 after ${Date.now() - began} ms`);
      const lines = () => readEffectRecords(effects);
      await expect.poll(() => lines().length, { timeout: 60_000, interval: 20 }).toBeGreaterThan(1_000);

      const victim = consumers.find((c) => c.id === 'b')!;
      victim.child.kill('SIGKILL');
      const atKill = lines().length;
      await victim.exited;
      const owned = async () => {
        const leases = await store.leases.list(GROUP, `kinesis://${stream}`);
        const live = leases.filter((l) => l.owner !== '' && l.expiresAt > Date.now());
        return ['a', 'b', 'c'].map((o) => live.filter((l) => l.owner === o).length);
      };
      await expect.poll(owned, { timeout: 60_000, interval: 250 }).toEqual([4, 0, 4]);
      console.log(`fleet: taken over 4/4 after ${Date.now() - began} ms, ${lines().length} effects so far`);
      await placeRecords(admin, stream, keyedEvents(1_000, 64, 12_000));
      const expected = new Set(Array.from({ length: 13_000 }, (_, n) => `evt-${n}`));
      const seen = () => new Set(lines().map((l) => l.split(' ')[0]));
      await expect
        // One read of the effects per poll (not one per id): kinesalite serves the consumers from this
        // process, so a poll that blocks the event loop for seconds starves them.
        .poll(
          () => {
            const done = seen();
            return [...expected].filter((id) => !done.has(id)).length;
          },
          { timeout: 120_000, interval: 500 },
        )
        .toBe(0);

      for (const c of consumers.filter((c) => c.id !== 'b')) c.child.kill('SIGTERM');
      for (const c of consumers.filter((c) => c.id !== 'b')) expect(await c.exited, c.stderr()).toBe(0);
      sampling = false;
      await sampler;

      expect(overlaps).toEqual([]);
      const byEvent = new Map<string, Set<string>>();
      for (const line of lines()) {
        const [event, agent] = line.split(' ') as [string, string];
        byEvent.set(event, (byEvent.get(event) ?? new Set()).add(agent));
      }
      // At least once: an event processed by two agents is one the killed agent took but never committed.
      const twice = [...byEvent].filter(([, agents]) => agents.size > 1);
      expect(twice.every(([, agents]) => agents.has('b'))).toBe(true);
      expect(atKill).toBeLessThan(12_000);
      console.log(
        `fleet: killed b after ${atKill} of 12000 effects; ${byEvent.size} events, ${twice.length} redone after the kill, ${splits.length} lease samples, 0 overlaps`,
      );
    }, 300_000);
  },
);
