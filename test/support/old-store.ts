import Database from 'better-sqlite3';
import pg from 'pg';
import { legacyDigest, runIdOfDigest } from '../../src/core/model/run-id.js';
import { quoteIdent } from '../../src/core/store/postgres/pg-connection.js';
import { PG_MIGRATIONS } from '../../src/core/store/postgres/pg-migrations.js';
import { MIGRATIONS } from '../../src/core/store/sqlite/migrations.js';

/**
 * A SQLite file at an older store schema (as an earlier agentctl left it): migrations 1 … `version`
 * applied, nothing newer. The caller closes it.
 */
export function sqliteStoreAtVersion(path: string, version: number): Database.Database {
  const db = new Database(path);
  db.function('agentctl_run_id', { deterministic: true }, (group, id) =>
    runIdOfDigest(String(group), legacyDigest(String(id))),
  );
  db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
  for (const migration of MIGRATIONS.filter((m) => m.version <= version)) {
    db.exec(migration.sql);
    db.prepare('INSERT INTO schema_migrations VALUES (?, 1)').run(migration.version);
  }
  return db;
}

/**
 * A PostgreSQL schema at an older store schema (as an earlier agentctl left it): created with migrations
 * 1 … `version` applied in one transaction, each recorded as `migratePostgres` records it, nothing newer.
 */
export async function pgStoreAtVersion(url: string, schema: string, version: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const t = (name: string) => `${quoteIdent(schema)}.${name}`;
    await client.query('BEGIN');
    await client.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
    await client.query(
      `CREATE TABLE ${t('schema_migrations')} (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)`,
    );
    for (const migration of PG_MIGRATIONS.filter((m) => m.version <= version)) {
      await client.query(migration.sql(t));
      await client.query(`INSERT INTO ${t('schema_migrations')} VALUES ($1, $2, 1)`, [
        migration.version,
        migration.name,
      ]);
    }
    await client.query('COMMIT');
  } finally {
    await client.end();
  }
}
