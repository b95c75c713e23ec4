import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/core/store/sqlite/sqlite-state-store.js';
import { agentctl, writeConfig } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

/**
 * `replay --failed --to-origin` on the local log, through the CLI: orders whose `data.fragile` is set
 * fail (FatalError) while `broken.flag` exists and are parked; the redrive appends their original bytes
 * to their own partition of `local:events`, with their key.
 */
const CONFIG = `{
  name: 'orders',
  source: 'local:events',
  consumer: { localPartitions: 3 },
  publisher: { sink: 'none' },
  rules: [rule({ name: 'ship-order', on: 'order.created', process: 'ship' })],
  processes: [defineProcess({ name: 'ship', steps: [{ name: 'ship', run: ({ event }) => {
    if (event.data?.fragile && existsSync(join(process.cwd(), 'broken.flag'))) throw new FatalError('warehouse is down');
    return event.id;
  } }] })],
}`;
const PREAMBLE = `import { existsSync } from 'node:fs';\nimport { join } from 'node:path';`;

interface RedriveJson {
  dryRun: boolean;
  origin: string;
  selected: number;
  redriven: number;
  failed: number;
  items: { id: number; eventId?: string; outcome: string; to?: string; error?: string }[];
}

interface ItemJson {
  id: number;
  status: string;
  eventId: string;
  partition: string;
  recordKey?: string;
  history: { via: string; error: string; to?: string }[];
}

const db = (dir: string) => join(dir, '.agentctl/agent.db');

/** Orders evt-1..evt-6 keyed customer-N, evt-2/4/6 fragile, consumed once with the warehouse down. */
async function givenParked(): Promise<string> {
  const dir = tempDir('redrive-local-');
  writeConfig(dir, CONFIG, PREAMBLE);
  const store = await openSqliteStore({ path: db(dir) });
  await store.log.ensureTopic('events', 3);
  const orders = [1, 2, 3, 4, 5, 6].map((n) => ({
    specversion: '1.0',
    id: `evt-${n}`,
    type: 'order.created',
    source: '/shop',
    data: { n, fragile: n % 2 === 0 },
  }));
  await store.log.append(
    'events',
    orders.map((o) => ({ key: `customer-${o.data.n}`, value: new TextEncoder().encode(JSON.stringify(o)) })),
  );
  await store.close();
  writeFileSync(join(dir, 'broken.flag'), '');
  const consumed = agentctl(['consume', '--until-empty'], { cwd: dir });
  expect(consumed.code, consumed.stderr).toBe(0);
  return dir;
}

function items(dir: string): ItemJson[] {
  const result = agentctl(['failed', 'list', '--json', '--status', 'any'], { cwd: dir });
  expect(result.code, result.stderr).toBe(0);
  return result.json<ItemJson[]>();
}

/** Every record of the topic: partition, key and the event id of its bytes. */
async function logRecords(
  dir: string,
): Promise<{ partition: number; key: string | null; id: string; raw: string }[]> {
  const store = await openSqliteStore({ path: db(dir), readonly: true });
  try {
    const out: { partition: number; key: string | null; id: string; raw: string }[] = [];
    for (let partition = 0; partition < 3; partition++) {
      for (const r of await store.log.read('events', partition, -1, 1_000)) {
        const raw = new TextDecoder().decode(r.value);
        out.push({ partition, key: r.key, id: (JSON.parse(raw) as { id: string }).id, raw });
      }
    }
    return out;
  } finally {
    await store.close();
  }
}

describe('agentctl replay --failed --to-origin on the local log', () => {
  it('Given 3 parked orders, When --dry-run, Then it says where each would go (its partition and key) and nothing changes', async () => {
    const dir = await givenParked();
    const before = await logRecords(dir);

    const plan = agentctl(['replay', '--failed', '--to-origin', '--dry-run'], { cwd: dir });

    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('dry run: would redrive 3 items to local:events; nothing changed');
    for (const item of items(dir)) {
      expect(item.status).toBe('pending');
      expect(plan.stdout).toContain(`local:events partition ${item.partition} key ${item.recordKey}`);
    }
    expect(await logRecords(dir)).toEqual(before);
  });

  it('Given 3 parked orders, When redriven, Then each is appended once to its own partition with its key and bytes, marked replayed with the redrive in its history, and the next consume processes them', async () => {
    const dir = await givenParked();
    const before = await logRecords(dir);
    const parked = items(dir);
    expect(parked.map((i) => i.eventId).sort()).toEqual(['evt-2', 'evt-4', 'evt-6']);

    const run = agentctl(['replay', '--failed', '--to-origin', '--yes', '--json'], { cwd: dir });

    expect(run.code, run.stderr).toBe(0);
    expect(run.json<RedriveJson>()).toMatchObject({
      dryRun: false,
      origin: 'local:events',
      redriven: 3,
      failed: 0,
    });
    const after = await logRecords(dir);
    for (const item of parked) {
      const copies = after.filter((r) => r.id === item.eventId);
      const original = before.find((r) => r.id === item.eventId)!;
      expect(copies).toHaveLength(2);
      for (const copy of copies) expect(copy).toEqual(original);
    }
    expect(after).toHaveLength(before.length + 3);
    for (const item of items(dir)) {
      expect(item.status).toBe('replayed');
      expect(item.history.at(-1)).toMatchObject({
        via: 'redrive',
        to: `local:events partition ${item.partition} key ${item.recordKey} (redrive 1)`,
      });
    }
    const shown = agentctl(['failed', 'show', String(parked[0]!.id)], { cwd: dir });
    expect(shown.stdout).toContain('redriven to local:events');

    const again = agentctl(['replay', '--failed', '--to-origin', '--yes', '--json'], { cwd: dir });
    expect(again.json<RedriveJson>()).toMatchObject({ selected: 0, redriven: 0 });
    expect(await logRecords(dir)).toHaveLength(before.length + 3);

    rmSync(join(dir, 'broken.flag'));
    const consumed = agentctl(['consume', '--until-empty', '--json'], { cwd: dir });
    expect(consumed.code, consumed.stderr).toBe(0);
    expect(
      consumed.lines<{ type: string; read?: number; processed?: number }>().find((l) => l.type === 'summary'),
    ).toMatchObject({ read: 3, processed: 3 });
  });

  it('Given parked orders, When --to-origin with --sink or --rate without --to-origin or a bad --rate, Then exit 2 and nothing changes', async () => {
    const dir = await givenParked();
    const before = await logRecords(dir);
    for (const args of [
      ['--to-origin', '--sink', 'stdout'],
      ['--rate', '5/s'],
      ['--to-origin', '--rate', 'fast'],
    ]) {
      const run = agentctl(['replay', '--failed', '--yes', ...args], { cwd: dir });
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(/^error: /);
    }
    expect(items(dir).every((i) => i.status === 'pending')).toBe(true);
    expect(await logRecords(dir)).toEqual(before);
  });

  it('Given items read from another source, When redriven to local:events, Then they are refused with a clear error, stay pending, and the exit is 3', async () => {
    const dir = await givenParked();
    const run = agentctl(['replay', '--failed', '--to-origin', '--yes', '--source', 'local:other'], {
      cwd: dir,
    });
    expect(run.code, run.stderr).toBe(3);
    expect(run.stdout).toContain('not from local:other');
    expect(items(dir).every((i) => i.status === 'pending')).toBe(true);
  });
});
