import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LocalLogDescription } from '../../src/core/ops/describe-local.js';
import { openSqliteStore } from '../../src/core/store/sqlite/sqlite-state-store.js';
import { submissionEvents } from '../core/agent/fixtures.js';
import { agentctl, writeConfig } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

const encoder = new TextEncoder();

/**
 * An agent `orders` whose log (4 partitions) got 20 keyed events, all consumed, then 6 more; a group
 * `audit` checkpointed only partition 0 at offset 1. Returns where each keyed record landed.
 */
async function givenALogWithTwoGroups(): Promise<{ dir: string; placed: Map<string, number> }> {
  const dir = tempDir('describe-');
  writeConfig(
    dir,
    `{
      name: 'orders',
      consumer: { localPartitions: 4 },
      publisher: { sink: 'none' },
      rules: [rule({ name: 'record-order', on: 'submission.created', process: 'record' })],
      processes: [defineProcess({ name: 'record', steps: [{ name: 'note', run: ({ event }) => event.id }] })],
    }`,
  );
  const db = join(dir, '.agentctl', 'agent.db');
  const append = async (from: number, count: number) => {
    const store = await openSqliteStore({ path: db });
    const events = submissionEvents(count, from);
    const places = await store.log.append(
      'events',
      events.map((e, i) => ({ value: encoder.encode(JSON.stringify(e)), key: `customer-${from + i}` })),
    );
    await store.close();
    return places.map((p, i) => [`customer-${from + i}`, p.partition] as const);
  };
  const placed = new Map(await append(0, 20));
  const consumed = agentctl(['consume', '--until-empty', '--json'], { cwd: dir });
  expect(consumed.code, consumed.stderr).toBe(0);
  for (const [key, partition] of await append(20, 6)) placed.set(key, partition);
  const store = await openSqliteStore({ path: db });
  await store.checkpoints.set([{ group: 'audit', source: 'local:events', partition: '0', position: '1' }]);
  await store.close();
  return { dir, placed };
}

describe('agentctl describe on the local log', () => {
  it('Given two groups on a 4-partition log, it shows each partition’s offsets and records, and each group’s checkpoint and lag', async () => {
    const { dir, placed } = await givenALogWithTwoGroups();
    const perPartition = [0, 1, 2, 3].map((p) => [...placed.values()].filter((q) => q === p).length);

    const json = agentctl(['describe', '--json'], { cwd: dir });
    expect(json.code, json.stderr).toBe(0);
    const d = json.json<LocalLogDescription & { source: string }>();
    expect(d).toMatchObject({ kind: 'local', topic: 'events', records: 26 });
    expect(d.partitions.map((p) => p.records)).toEqual(perPartition);
    for (const p of d.partitions.filter((q) => q.records > 0)) {
      expect(p).toMatchObject({ first: 0, last: p.records - 1 });
    }
    expect(d.groups.map((g) => g.group)).toEqual(['audit', 'orders']);
    const orders = d.groups.find((g) => g.group === 'orders')!;
    // The first 20 (customer-0 … customer-19) were consumed: `orders` is checkpointed at the last of them.
    const consumed = (p: number) =>
      [...placed.entries()].filter(([key, q]) => q === p && Number(key.slice('customer-'.length)) < 20)
        .length;
    for (const row of orders.partitions) {
      const p = Number(row.partition);
      expect(row.checkpoint).toBe(consumed(p) === 0 ? undefined : String(consumed(p) - 1));
      expect(row.lagRecords).toBe(perPartition[p]! - consumed(p));
    }
    expect(orders.lagRecords).toBe(6);
    const audit = d.groups.find((g) => g.group === 'audit')!;
    expect(audit.partitions[0]).toEqual({
      partition: '0',
      checkpoint: '1',
      lagRecords: perPartition[0]! - 2,
    });
    expect(audit.partitions.slice(1).map((r) => r.lagRecords)).toEqual(perPartition.slice(1));
    expect(audit.lagRecords).toBe(24);

    const text = agentctl(['describe'], { cwd: dir });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/records\s+26/);
    expect(text.stdout).toMatch(/PARTITION\s+FIRST\s+LAST\s+RECORDS/);
    expect(text.stdout).toMatch(/GROUP\s+PARTITION\s+CHECKPOINT\s+LAG/);
    expect(text.stdout).toMatch(new RegExp(`audit\\s+0\\s+1\\s+${perPartition[0]! - 2}\\n`));
  }, 60_000);

  it('maps --key to the partition the log appended that key’s records to', async () => {
    const { dir, placed } = await givenALogWithTwoGroups();
    for (const key of ['customer-3', 'customer-11', 'customer-24']) {
      const r = agentctl(['describe', 'local:events', '--key', key, '--json'], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      expect(r.json<LocalLogDescription>().key).toEqual({ key, partition: String(placed.get(key)) });
    }
  }, 60_000);

  it('writes nothing: describing a missing topic names the topics there and leaves the store as it was', async () => {
    const { dir } = await givenALogWithTwoGroups();
    const missing = agentctl(['describe', 'local:nope'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/error: the local log has no topic "nope"/);
    expect(missing.stderr).toMatch(/try: topics there: local:events/);
    // --source and AGENTCTL_SOURCE name the source as the argument does.
    for (const named of [
      agentctl(['describe', '--source', 'local:nope'], { cwd: dir }),
      agentctl(['describe'], { cwd: dir, env: { AGENTCTL_SOURCE: 'local:nope' } }),
    ]) {
      expect(named.code).toBe(2);
      expect(named.stderr).toMatch(/error: the local log has no topic "nope"/);
    }
    const store = await openSqliteStore({ path: join(dir, '.agentctl', 'agent.db') });
    expect((await store.log.topics()).map((t) => t.name)).toEqual(['events']);
    await store.close();
  }, 60_000);

  it('refuses what it cannot describe with a clear error and exit 2', async () => {
    const dir = tempDir('describe-bad-');
    const noStore = agentctl(['describe'], { cwd: dir });
    expect(noStore.code).toBe(2);
    expect(noStore.stderr).toMatch(/error: no state store at/);

    const file = agentctl(['describe', 'file:events.ndjson'], { cwd: dir });
    expect(file.code).toBe(2);
    expect(file.stderr).toMatch(
      /error: cannot describe file:events\.ndjson: describe knows local:, kinesis:\/\/ and amqp:\/\/ sources/,
    );

    const scheme = agentctl(['describe', 'kafka://orders'], { cwd: dir });
    expect(scheme.code).toBe(2);
    expect(scheme.stderr).toMatch(/error: invalid source "kafka:\/\/orders": unknown scheme "kafka:"/);
    expect(scheme.stderr).toMatch(/try: sources are URIs/);
  }, 60_000);
});
