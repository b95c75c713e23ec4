import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/core/store/sqlite/sqlite-state-store.js';
import { agentctl, writeConfig } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

interface Line {
  partition: string;
  position: string;
  timestamp: number;
  key?: string;
  event?: { id: string; type: string; data: { n: number } };
  raw?: string;
  error?: string;
  done?: boolean;
  next?: boolean;
}

const event = (n: number, type = 'order.placed') =>
  JSON.stringify({
    specversion: '1.0',
    id: `e-${n}`,
    source: '/test',
    type,
    subject: `k${n % 3}`,
    data: { n },
  });

/** A project whose local log `events` (4 partitions) holds `count` events, one ms apart from `t0`, and one undecodable record. */
async function givenALog(count: number, t0 = 1_700_000_000_000): Promise<{ dir: string; db: string }> {
  const dir = tempDir('peek-');
  mkdirSync(join(dir, '.agentctl'), { recursive: true });
  const db = join(dir, '.agentctl', 'agent.db');
  const store = await openSqliteStore({ path: db });
  await store.log.ensureTopic('events', 4);
  await store.log.append(
    'events',
    Array.from({ length: count }, (_, i) => ({
      value: Buffer.from(event(i)),
      key: `k${i % 3}`,
      partition: i % 4,
      timestamp: t0 + i,
    })),
  );
  await store.log.append('events', [
    { value: Buffer.from('{not json'), partition: 0, timestamp: t0 + count },
  ]);
  await store.close();
  return { dir, db };
}

const peek = (dir: string, ...args: string[]) => agentctl(['peek', ...args], { cwd: dir });

describe('agentctl peek on the local log', () => {
  it('prints the first 10 records in stored-time order, and a record that does not decode with the reason', async () => {
    const { dir } = await givenALog(12);
    const all = peek(dir, '--json', '-n', '0');
    expect(all.code, all.stderr).toBe(0);
    const lines = all.lines<Line>();
    expect(lines.map((l) => l.event?.data.n ?? -1)).toEqual([...Array.from({ length: 12 }, (_, i) => i), -1]);
    expect(lines[5]).toMatchObject({
      partition: '1',
      position: '1',
      timestamp: 1_700_000_000_005,
      key: 'k2',
    });
    const bad = lines.at(-1)!;
    expect(bad.error).toMatch(/not valid JSON/);
    expect(Buffer.from(bad.raw!, 'base64').toString()).toBe('{not json');
    expect(peek(dir, '--json').lines()).toHaveLength(10);
    const pretty = peek(dir, '-n', '2');
    expect(pretty.stdout.split('\n')[0]).toMatch(
      /^0 0 {2}2023-11-14 22:13:20Z {2}order\.placed {2}k0 {2}\{"n":0\}$/,
    );
    expect(pretty.stderr).toContain('2 records of local:events');
  });

  it('starts at a time or a position, stops at --to, and keeps to --partition and --key', async () => {
    const { dir } = await givenALog(40);
    const ns = (r: ReturnType<typeof peek>) => r.lines<Line>().map((l) => l.event?.data.n);
    expect(ns(peek(dir, '--json', '--from', new Date(1_700_000_000_030).toISOString(), '-n', '0'))).toEqual([
      30,
      31,
      32,
      33,
      34,
      35,
      36,
      37,
      38,
      39,
      undefined,
    ]);
    expect(ns(peek(dir, '--json', '--partition', '2', '--from', '7', '--to', '8'))).toEqual([30, 34]);
    expect(ns(peek(dir, '--json', '--key', 'k1', '-n', '4'))).toEqual([1, 4, 7, 10]);
    expect(ns(peek(dir, '--json', '--to', new Date(1_700_000_000_002).toISOString()))).toEqual([0, 1, 2]);
    const unknown = peek(dir, '--partition', '9');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('local:events has no partition "9"');
    expect(peek(dir, '--from', 'yesterday-ish x').code).toBe(2);
  });

  it('--around-checkpoint shows the records done before each checkpoint and marks the first not done', async () => {
    const { dir, db } = await givenALog(20);
    const store = await openSqliteStore({ path: db });
    await store.checkpoints.set([
      { group: 'agent', source: 'local:events', partition: '0', position: '2' },
      { group: 'agent', source: 'local:events', partition: '1', position: '4' },
    ]);
    await store.close();
    const run = peek(
      dir,
      '--json',
      '--around-checkpoint',
      '-B',
      '2',
      '-A',
      '2',
      '--partition',
      '0',
      '-p',
      '1',
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.lines<Line>().map((l) => [l.partition, l.position, l.done, l.next ?? false])).toEqual([
      ['0', '1', true, false],
      ['0', '2', true, false],
      ['0', '3', false, true],
      ['0', '4', false, false],
      ['1', '3', true, false],
      ['1', '4', true, false],
    ]);
    const pretty = peek(dir, '--around-checkpoint', '-B', '1', '-A', '1', '-p', '0');
    expect(pretty.stdout).toMatch(/^✓ 0 2 .*\n▶ 0 3 /);
  });

  it('moves no checkpoint, takes no lease and writes nothing to the store', async () => {
    const { dir, db } = await givenALog(30);
    const before = await openSqliteStore({ path: db });
    await before.checkpoints.set([{ group: 'agent', source: 'local:events', partition: '0', position: '3' }]);
    const checkpoints = await before.checkpoints.list();
    await before.close();
    for (const args of [
      ['-n', '0'],
      ['--from', 'checkpoint'],
      ['--around-checkpoint'],
      ['--where', 'true'],
    ]) {
      expect(peek(dir, ...args).code).toBe(0);
    }
    const after = await openSqliteStore({ path: db });
    expect(await after.checkpoints.list()).toEqual(checkpoints);
    expect(await after.leases.list(undefined, 'local:events')).toEqual([]);
    expect(await after.agents.list()).toEqual([]);
    await after.close();
  });

  it("--where 'true' prints what no filter prints; a filter on event data selects; a bad one fails at once", async () => {
    const { dir } = await givenALog(25);
    expect(peek(dir, '--json', '-n', '0', '--where', 'true').stdout).toBe(
      peek(dir, '--json', '-n', '0').stdout,
    );
    const some = peek(dir, '--json', '--where', 'event != null && int(event.data.n) % 5 == 0', '-n', '0');
    expect(some.lines<Line>().map((l) => l.event?.data.n)).toEqual([0, 5, 10, 15, 20]);
    const bad = peek(dir, '--where', 'event.data.n >');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--where is not a valid CEL filter at column');
  });

  it('--json lines re-publish with `publish --file -`: the same events under the same keys', async () => {
    const { dir } = await givenALog(15);
    const out = peek(dir, '--json', '-n', '0', '--where', 'event != null');
    const published = agentctl(['publish', '--file', '-', '--source', 'local:copy', '--json'], {
      cwd: dir,
      input: out.stdout,
    });
    expect(published.code, published.stderr).toBe(0);
    expect(published.json()).toMatchObject({ published: 15 });
    const copy = peek(dir, 'local:copy', '--json', '-n', '0').lines<Line>();
    const original = out.lines<Line>();
    const byId = (ls: Line[]) => ls.map((l) => [l.event!.id, l.key]).sort();
    expect(byId(copy)).toEqual(byId(original));
    expect(copy.map((l) => l.event)).toEqual(expect.arrayContaining(original.map((l) => l.event)));
    const withBad = agentctl(['publish', '--file', '-', '--source', 'local:copy2'], {
      cwd: dir,
      input: peek(dir, '--json', '-n', '0').stdout,
    });
    expect(withBad.code).toBe(2);
    expect(withBad.stderr).toContain('is a record peek could not decode');
  });

  it("decodes with the config's decode hook, and --raw prints the stored bytes", async () => {
    const { dir } = await givenALog(3);
    writeConfig(
      dir,
      `{ name: 'agent', decode: (raw) => {
        const e = JSON.parse(Buffer.from(raw).toString());
        return { specversion: '1.0', id: e.id, source: e.source, type: 'decoded.' + e.type, data: e.data };
      } }`,
    );
    const lines = peek(dir, '--json', '-n', '3').lines<Line>();
    expect(lines.map((l) => l.event?.type)).toEqual([
      'decoded.order.placed',
      'decoded.order.placed',
      'decoded.order.placed',
    ]);
    expect(peek(dir, '--raw', '-n', '2').stdout).toBe(`${event(0)}\n${event(1)}\n`);
  });
});
