import { join } from 'node:path';
import Database from 'better-sqlite3';
import { onTestFinished } from 'vitest';
import { openSqliteStore, type SqliteStateStore } from '../../../src/core/store/sqlite/sqlite-state-store.js';
import { tempDir } from '../../support/temp.js';

/**
 * A file store whose writer thread waits: another connection holds the write lock (`other`, `COMMIT` to
 * let go), and an append of more records than an in-place write takes is queued on the thread behind it.
 * `prepare` runs on the store before the lock is taken. All of it is closed when the test finishes.
 */
export async function storeWithLockedWriter<T>(
  prefix: string,
  prepare: (store: SqliteStateStore) => Promise<T>,
): Promise<{ store: SqliteStateStore; other: Database.Database; appended: Promise<unknown[]>; prepared: T }> {
  const path = join(tempDir(prefix), 'agent.db');
  const store = await openSqliteStore({ path, busyTimeoutMs: 30_000 });
  onTestFinished(() => store.close());
  await store.log.ensureTopic('events', 1);
  const prepared = await prepare(store);
  const other = new Database(path);
  onTestFinished(() => {
    other.close();
  });
  other.exec('BEGIN IMMEDIATE');
  const appended = store.log.append(
    'events',
    Array.from({ length: 300 }, (_, i) => ({ value: Buffer.from(`{"n":${i}}`) })),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return { store, other, appended, prepared };
}

/**
 * Starts `work` while `other` holds the lock, gives the event loop one turn, then lets the lock go.
 * `pendingWhileLocked`: `work` had not settled in that turn — on the caller's connection it would have
 * held the event loop in SQLite's busy handler instead.
 */
export async function whileLocked<T>(
  other: Database.Database,
  work: () => Promise<T>,
): Promise<{ pendingWhileLocked: boolean; result: Promise<T> }> {
  let settled = false;
  const result = work().finally(() => {
    settled = true;
  });
  await new Promise((resolve) => setImmediate(resolve));
  const pendingWhileLocked = !settled;
  other.exec('COMMIT');
  return { pendingWhileLocked, result };
}
