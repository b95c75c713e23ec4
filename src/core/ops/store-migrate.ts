import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { storeScheme } from '../store/open-store.js';

export interface StoreMigration {
  readonly kind: 'sqlite' | 'postgres';
  /** Where the store lives, credentials redacted. */
  readonly location: string;
  /** The schema version found (0: a new store). */
  readonly from: number;
  /** The schema version now. */
  readonly to: number;
}

/**
 * Creates or upgrades a store's schema and says from which version to which: a SQLite file (created
 * with its directory if missing) or a `postgres://` store (its schema created if missing). Migrations
 * run once even when agents open the store at the same moment (SQLite: the write lock; PostgreSQL: an
 * advisory lock). Throws `UsageError` when the store cannot be opened or is newer than this build.
 */
export async function migrateStore(
  location: string,
  options: { readonly baseDir?: string } = {},
): Promise<StoreMigration> {
  if (storeScheme(location) === 'postgres') {
    const { migratePostgresStore } = await import('../store/postgres/postgres-state-store.js');
    return { kind: 'postgres', ...(await migratePostgresStore({ url: location })) };
  }
  const raw = location.replace(/^sqlite:/, '');
  const path = raw === ':memory:' ? raw : resolve(options.baseDir ?? process.cwd(), raw);
  const { SCHEMA_VERSION } = await import('../store/sqlite/migrations.js');
  const from = path === ':memory:' || !existsSync(path) ? 0 : await sqliteVersion(path);
  const { openSqliteStore } = await import('../store/sqlite/sqlite-state-store.js');
  const store = await openSqliteStore({ path, writerThread: false });
  await store.close();
  return { kind: 'sqlite', location: store.location, from, to: SCHEMA_VERSION };
}

/** The version of an existing file, or 0 when it cannot be read (opening the store then says why). */
async function sqliteVersion(path: string): Promise<number> {
  const { default: Database } = await import('better-sqlite3');
  const { schemaVersion } = await import('../store/sqlite/migrations.js');
  try {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      return schemaVersion(db);
    } finally {
      db.close();
    }
  } catch {
    return 0;
  }
}
