import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { isTimeoutError } from '../../../src/core/errors/timeout-error.js';
import { isUsageError } from '../../../src/core/errors/usage-error.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../../../src/core/store/sqlite/migrations.js';
import { PRUNE_CHUNK, retryWhileBusy } from '../../../src/core/store/sqlite/sqlite-connection.js';
import { openSqliteStore, type SqliteStateStore } from '../../../src/core/store/sqlite/sqlite-state-store.js';
import { IN_PLACE_ROWS } from '../../../src/core/store/sqlite/sqlite-writer.js';
import { tempDir } from '../../support/temp.js';
import { runTogether } from './fixtures/run-together.js';
import { aHeartbeat, aParked, aRun, stateStoreContract, T0 } from './state-store-contract.js';

const CHILD = fileURLToPath(new URL('./fixtures/store-child.ts', import.meta.url));
const EMPTY = { runs: [], ledger: [], efforts: [], parked: [] } as const;

/** A temp directory removed when the current test ends (tempDir's own cleanup only runs at collection). */
function freshDir(): string {
  const dir = tempDir('store-');
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Opens a store on a fresh file and closes it when the test ends. */
async function openFresh(options: { clock?: FakeClock; busyTimeoutMs?: number } = {}): Promise<{
  store: SqliteStateStore;
  path: string;
}> {
  const path = join(freshDir(), 'agent.db');
  const store = await openSqliteStore({ path, ...options });
  onTestFinished(() => store.close());
  return { store, path };
}

/** A second connection to the file through the driver itself, to look at what the store wrote. */
function inspect(path: string): Database.Database {
  const db = new Database(path, { readonly: true });
  onTestFinished(() => {
    db.close();
  });
  return db;
}

stateStoreContract('SqliteStateStore on a file', () =>
  openSqliteStore({ path: join(freshDir(), 'agent.db') }),
);
stateStoreContract('SqliteStateStore in memory', () => openSqliteStore({ path: ':memory:' }));

describe('SqliteStateStore opening', () => {
  it('Given a new file, When opened, Then it is in WAL mode and at the latest schema version', async () => {
    const clock = new FakeClock(1_234);
    const { path } = await openFresh({ clock });

    const db = inspect(path);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.prepare('SELECT version, applied_at FROM schema_migrations ORDER BY version').all()).toEqual([
      ...[...MIGRATIONS]
        .sort((a, b) => a.version - b.version)
        .map((m) => ({ version: m.version, applied_at: 1_234 })),
    ]);
    expect(SCHEMA_VERSION).toBe(
      Math.max(...[...MIGRATIONS].sort((a, b) => a.version - b.version).map((m) => m.version)),
    );
  });

  it('Given a store with data, When opened again, Then no migration runs twice and the data is kept', async () => {
    const path = join(freshDir(), 'agent.db');
    const first = await openSqliteStore({ path, clock: new FakeClock(1) });
    const run = aRun();
    await first.flush({ ...EMPTY, runs: [run] });
    await first.close();

    const second = await openSqliteStore({ path, clock: new FakeClock(2) });
    onTestFinished(() => second.close());

    expect(await second.runs.get(run.id)).toEqual(run);
    expect(inspect(path).prepare('SELECT version, applied_at FROM schema_migrations').all()).toEqual([
      ...[...MIGRATIONS]
        .sort((a, b) => a.version - b.version)
        .map((m) => ({ version: m.version, applied_at: 1 })),
    ]);
  });

  it('Given no path, When opened, Then .agentctl/agent.db is created under the working directory', async () => {
    const dir = freshDir();

    const [result] = await runTogether(CHILD, [['open-default', dir]]);

    expect(result).toEqual({ location: join(dir, '.agentctl', 'agent.db') });
    expect(existsSync(join(dir, '.agentctl', 'agent.db'))).toBe(true);
  });

  it('Given a path in missing directories, When opened, Then the directories are created', async () => {
    const path = join(freshDir(), 'a', 'b', 'agent.db');
    const store = await openSqliteStore({ path });
    await store.close();
    expect(existsSync(path)).toBe(true);
    expect(store.location).toBe(path);
  });

  it('Given four processes opening one fresh file at once, Then all succeed and migrations apply once', async () => {
    const path = join(freshDir(), 'agent.db');

    const results = await runTogether(
      CHILD,
      Array.from({ length: 4 }, () => ['open', path]),
    );

    expect(results).toEqual(Array.from({ length: 4 }, () => ({ opened: true })));
    expect(inspect(path).prepare('SELECT version FROM schema_migrations').all()).toEqual([
      ...[...MIGRATIONS].sort((a, b) => a.version - b.version).map((m) => ({ version: m.version })),
    ]);
  });

  it('Given open steps that SQLite answers busy at once, When retried, Then they run again until they succeed', async () => {
    let calls = 0;

    await retryWhileBusy(1_000, () => {
      calls += 1;
      if (calls < 3) throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    });

    expect(calls).toBe(3);
  });

  it('Given open steps that stay busy past the timeout, Then the busy error surfaces', async () => {
    let calls = 0;
    const busy = Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY_RECOVERY' });

    const failure = retryWhileBusy(50, () => {
      calls += 1;
      throw busy;
    });

    await expect(failure).rejects.toBe(busy);
    expect(calls).toBeGreaterThan(1);
  });

  it('Given open steps that fail other than busy, Then they are not retried', async () => {
    let calls = 0;
    const notADatabase = Object.assign(new Error('file is not a database'), { code: 'SQLITE_NOTADB' });

    const failure = retryWhileBusy(1_000, () => {
      calls += 1;
      throw notADatabase;
    });

    await expect(failure).rejects.toBe(notADatabase);
    expect(calls).toBe(1);
  });

  it('Given a path that is a directory, When opened, Then a usage error names the path and what to do', async () => {
    const dir = freshDir();
    const error = await openSqliteStore({ path: dir }).catch((e: unknown) => e);
    expect(isUsageError(error)).toBe(true);
    expect((error as Error).message).toContain(dir);
    expect((error as { hint?: string }).hint).toMatch(/--db/);
  });

  it('Given a directory that cannot be created, When opened, Then a usage error names it', async () => {
    const blocker = join(freshDir(), 'file');
    writeFileSync(blocker, 'not a directory');
    const error = await openSqliteStore({ path: join(blocker, 'agent.db') }).catch((e: unknown) => e);
    expect(isUsageError(error)).toBe(true);
    expect((error as Error).message).toContain(blocker);
  });

  it('Given a file that is not a database, When opened, Then a usage error says it is not a store', async () => {
    const path = join(freshDir(), 'agent.db');
    writeFileSync(path, 'this is a text file, not SQLite, and it is long enough to have a header'.repeat(20));
    const error = await openSqliteStore({ path }).catch((e: unknown) => e);
    expect(isUsageError(error)).toBe(true);
    expect((error as Error).message).toContain(`${path} is not an agentctl state store`);
  });

  it('Given a store written by a newer agentctl, When opened, Then a usage error asks for an upgrade', async () => {
    const { store, path } = await openFresh();
    await store.close();
    const db = new Database(path);
    db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (99, 0)').run();
    db.close();

    const error = await openSqliteStore({ path }).catch((e: unknown) => e);
    expect(isUsageError(error)).toBe(true);
    expect((error as Error).message).toMatch(/schema version 99/);
  });
});

describe('SqliteStateStore read-only', () => {
  it('Given no file, When opened read-only, Then a usage error says so and no file is created', async () => {
    const path = join(freshDir(), 'missing', 'agent.db');
    const error = await openSqliteStore({ path, readonly: true }).catch((e: unknown) => e);
    expect(isUsageError(error)).toBe(true);
    expect((error as Error).message).toContain(path);
    expect(existsSync(join(path, '..'))).toBe(false);
  });

  it('Given an empty SQLite file, When opened read-only, Then a usage error says it has no schema', async () => {
    const path = join(freshDir(), 'agent.db');
    new Database(path).close();
    const error = await openSqliteStore({ path, readonly: true }).catch((e: unknown) => e);
    expect(isUsageError(error)).toBe(true);
    expect((error as Error).message).toMatch(/no schema/);
  });

  it('Given a store, When opened read-only, Then reads work and writes are usage errors', async () => {
    const { store, path } = await openFresh();
    const run = aRun();
    await store.flush({ ...EMPTY, runs: [run] });

    const reader = await openSqliteStore({ path, readonly: true });
    onTestFinished(() => reader.close());

    expect(await reader.runs.get(run.id)).toEqual(run);
    await expect(reader.flush({ ...EMPTY, runs: [aRun()] })).rejects.toSatisfy(isUsageError);
  });
});

describe('SqliteStateStore transactions and locking', () => {
  it('Given a batch whose last part fails, When flushed, Then nothing of it is written', async () => {
    const { store } = await openFresh();
    const run = aRun();
    const broken = { ...aParked(), raw: null } as unknown as ReturnType<typeof aParked>;

    await expect(store.flush({ ...EMPTY, runs: [run], parked: [broken] })).rejects.toThrow();

    expect(await store.runs.get(run.id)).toBeUndefined();
  });

  it('Given two stores on one file appending to one topic at once, Then the offsets they are given are dense and never shared', async () => {
    const { store, path } = await openFresh();
    const other = await openSqliteStore({ path });
    onTestFinished(() => other.close());
    await store.log.ensureTopic('orders', 2);
    const encoder = new TextEncoder();
    const records = (who: string, call: number) =>
      Array.from({ length: 50 }, (_, i) => ({
        value: encoder.encode(`${who}.${call}.${i}`),
        partition: i % 2,
      }));

    const placed = await Promise.all(
      Array.from({ length: 8 }, (_, call) =>
        (call % 2 ? other : store).log.append('orders', records(call % 2 ? 'b' : 'a', call)),
      ),
    );

    const read = new Map<string, string>();
    for (const partition of [0, 1]) {
      const stored = await store.log.read('orders', partition, -1, 1_000);
      expect(stored.map((r) => r.offset)).toEqual(stored.map((_, i) => i));
      for (const r of stored) read.set(`${partition}/${r.offset}`, new TextDecoder().decode(r.value));
    }
    expect(read.size).toBe(400);
    for (const [c, call] of placed.entries()) {
      for (const [i, at] of call.entries()) {
        expect(read.get(`${at.partition}/${at.offset}`)).toBe(`${c % 2 ? 'b' : 'a'}.${c}.${i}`);
      }
    }
  });

  it('Given another connection holding the write lock, When a flush waits past the timeout, Then a retriable busy error says so', async () => {
    const { store, path } = await openFresh({ busyTimeoutMs: 50 });
    const other = new Database(path);
    onTestFinished(() => {
      other.close();
    });
    other.exec('BEGIN IMMEDIATE');

    const error = await store.flush({ ...EMPTY, runs: [aRun()] }).catch((e: unknown) => e);

    expect(isTimeoutError(error)).toBe(true);
    expect((error as Error).message).toContain(`the state store ${path} is busy`);
    expect((error as { retriable: boolean }).retriable).toBe(true);
    other.exec('ROLLBACK');
    await expect(store.flush({ ...EMPTY, runs: [aRun()] })).resolves.toEqual({ rejected: [] });
  });

  it('Given another connection holding the write lock, When a small background flush waits for it, Then the caller keeps running and the flush lands once the lock is free', async () => {
    const { store, path } = await openFresh({ busyTimeoutMs: 1_000 });
    const other = new Database(path);
    onTestFinished(() => {
      other.close();
    });
    other.exec('BEGIN IMMEDIATE');
    // A consumer's loop: it must go on while its flush waits (written in place, the flush would hold the
    // loop in SQLite's busy handler, this timer could not release the lock, and the flush would time out).
    const released = new Promise<void>((resolve) =>
      setTimeout(() => {
        other.exec('ROLLBACK');
        resolve();
      }, 100),
    );
    const run = aRun();

    await store.flush({ ...EMPTY, runs: [run] }, [], { background: true });

    await released;
    expect((await store.runs.get(run.id))?.id).toBe(run.id);
  });

  it('Given a large flush still on the writer thread, When a small flush of a newer record follows, Then it waits its turn and the newer record is the one kept', async () => {
    const { store } = await openFresh();
    const run = aRun({ state: 'running', updatedAt: T0 + 1 });
    const large = Array.from({ length: IN_PLACE_ROWS + 50 }, () => aRun());
    const first = store.flush({ ...EMPTY, runs: [run, ...large] });
    // Small enough to be written in place — but the thread has ours in flight: written in place now, it
    // would be overwritten by the older state when the large flush lands.
    const second = store.flush({ ...EMPTY, runs: [{ ...run, state: 'failed', updatedAt: T0 + 2 }] });
    await Promise.all([first, second]);

    expect((await store.runs.get(run.id))?.state).toBe('failed');
    // With the thread idle, a small flush is written at once and read back the same.
    await store.flush({ ...EMPTY, runs: [{ ...run, state: 'succeeded', updatedAt: T0 + 3 }] });
    expect((await store.runs.get(run.id))?.state).toBe('succeeded');
  });

  it('Given an injected clock, Then lease expiry, fences and store times follow it', async () => {
    const clock = new FakeClock(1_000_000);
    const { store } = await openFresh({ clock });
    const request = { group: 'g', source: 's', partition: '0', ttlMs: 1_000 };
    const held = await store.leases.acquire({ ...request, owner: 'a' });
    expect(held).toMatchObject({ acquiredAt: 1_000_000, expiresAt: 1_001_000 });

    clock.set(1_000_999);
    expect(await store.leases.acquire({ ...request, owner: 'b' })).toBeUndefined();
    clock.set(1_001_000);
    const fence = { owner: 'a', counter: held!.counter };
    const write = { group: 'g', source: 's', partition: '0', position: '1', fence };
    expect((await store.flush(EMPTY, [write])).rejected).toEqual([write]);
    expect(await store.leases.acquire({ ...request, owner: 'b' })).toMatchObject({ counter: 2 });
    expect((await store.agents.heartbeat(aHeartbeat())).heartbeatAt).toBe(1_001_000);
  });

  it('Given three processes appending to one partition at once, Then offsets are unique and contiguous', async () => {
    const path = join(freshDir(), 'agent.db');
    const setup = await openSqliteStore({ path });
    await setup.log.ensureTopic('events', 2);
    await setup.close();

    const results = await runTogether(
      CHILD,
      ['a', 'b', 'c'].map((tag) => ['append', path, 'events', '40', '25', tag]),
    );

    const offsets = results.flatMap((r) => r.offsets as number[]);
    expect(offsets).toHaveLength(3_000);
    expect([...offsets].sort((x, y) => x - y)).toEqual(Array.from({ length: 3_000 }, (_, i) => i));
    for (const result of results) {
      const own = result.offsets as number[];
      expect(own).toEqual([...own].sort((x, y) => x - y));
    }
    const reader = await openSqliteStore({ path, readonly: true });
    onTestFinished(() => reader.close());
    expect(await reader.log.bounds('events', 0)).toEqual({ earliest: 0, latest: 2_999 });
    const records = await reader.log.read('events', 0, -1, 5_000);
    expect(new Set(records.map((r) => new TextDecoder().decode(r.value))).size).toBe(3_000);
  });

  it('Given four processes acquiring one lease at once, Then exactly one owns it', async () => {
    const path = join(freshDir(), 'agent.db');
    await (await openSqliteStore({ path })).close();

    const results = await runTogether(
      CHILD,
      ['w', 'x', 'y', 'z'].map((owner) => ['acquire', path, owner]),
    );

    const winners = results.filter((r) => r.lease !== null);
    expect(winners).toHaveLength(1);
    const reader = await openSqliteStore({ path, readonly: true });
    onTestFinished(() => reader.close());
    const [lease] = await reader.leases.list('g', 's');
    expect(lease).toMatchObject({ owner: (winners[0]!.lease as { owner: string }).owner, counter: 1 });
  });
});

describe('SqliteStateStore prune', () => {
  it('Given more rows than one prune transaction takes, When pruned, Then every chunk goes and a live flush between chunks still lands', async () => {
    const store = await openSqliteStore({ path: join(tempDir('prune-'), 'agent.db') });
    onTestFinished(() => store.close());
    const total = PRUNE_CHUNK * 2 + 123;
    const old = Array.from({ length: total }, (_, i) => aRun({ id: `old-${i}`, updatedAt: 1 }));
    await store.flush({ runs: old, ledger: [], efforts: [], parked: [] });

    const pruning = store.runs.prune(1_000);
    const fresh = aRun({ id: 'fresh', updatedAt: 5_000 });
    await store.flush({ runs: [fresh], ledger: [], efforts: [], parked: [] });

    expect(await pruning).toBe(total);
    expect((await store.runs.countByState()).reduce((n, r) => n + r.count, 0)).toBe(1);
    expect(await store.runs.get('fresh')).toBeDefined();
  });
});
