import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isUsageError } from '../../../src/core/errors/usage-error.js';
import type { SqliteConnection } from '../../../src/core/store/sqlite/sqlite-connection.js';
import {
  DEFAULT_PAGE_CACHE_KIB,
  openSqliteStore,
  type SqliteStateStore,
} from '../../../src/core/store/sqlite/sqlite-state-store.js';
import type { SqliteWriter } from '../../../src/core/store/sqlite/sqlite-writer.js';
import { tempDir } from '../../support/temp.js';

/** The store's two connections, as SQLite sees them: the caller's and the writer thread's. */
interface Connections {
  readonly connection: SqliteConnection;
  readonly writer: SqliteWriter;
}

/** `cache_size` of the caller's connection and of the writer thread's, read on each connection itself. */
async function cacheSizes(store: SqliteStateStore): Promise<{ caller: number; writer: number }> {
  const { connection, writer } = store as unknown as Connections;
  const caller = connection.db.pragma('cache_size', { simple: true }) as number;
  // The writer thread's own connection records its setting in a table the caller then reads.
  await writer.write({
    sql: [
      'CREATE TABLE IF NOT EXISTS cache_probe (size INTEGER)',
      'INSERT INTO cache_probe SELECT cache_size FROM pragma_cache_size()',
    ],
    rows: [[[]], [[]]],
  });
  const written = connection.db.prepare('SELECT size FROM cache_probe').pluck().get() as number;
  return { caller, writer: written };
}

describe('SqliteStateStore: a bounded page cache on each connection', () => {
  it('Given a file store opened with defaults, When its connections are asked, Then both hold DEFAULT_PAGE_CACHE_KIB (1 MiB)', async () => {
    // Given a file store with its writer thread
    const store = await openSqliteStore({ path: join(tempDir(), 'agent.db') });

    // When each connection reports its page cache
    const sizes = await cacheSizes(store);
    await store.close();

    // Then both are bounded to the default, in KiB (a negative cache_size)
    expect(DEFAULT_PAGE_CACHE_KIB).toBe(1024);
    expect(sizes).toEqual({ caller: -1024, writer: -1024 });
  });

  it('Given pageCacheKib, When the store opens, Then both connections use it', async () => {
    // Given a store that serves large queries and asks for a bigger cache
    const store = await openSqliteStore({ path: join(tempDir(), 'agent.db'), pageCacheKib: 8192 });

    // When each connection reports its page cache
    const sizes = await cacheSizes(store);
    await store.close();

    // Then both use the given size
    expect(sizes).toEqual({ caller: -8192, writer: -8192 });
  });

  it('Given a page cache that is not a whole number of KiB ≥ 1, When the store opens, Then it fails as a usage error', async () => {
    // Given sizes the store cannot use
    for (const pageCacheKib of [0, -5, 1.5]) {
      // When the store opens / Then it refuses, naming the setting
      const opening = openSqliteStore({ path: join(tempDir(), 'agent.db'), pageCacheKib });
      await expect(opening).rejects.toSatisfy(isUsageError);
      await expect(opening).rejects.toThrow(/page cache/);
    }
  });
});
