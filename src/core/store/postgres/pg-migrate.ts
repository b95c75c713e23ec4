import type pg from 'pg';
import { UsageError } from '../../errors/usage-error.js';
import { NOW_MS, type PgConnection } from './pg-connection.js';
import { PG_MIGRATIONS, PG_SCHEMA_VERSION } from './pg-migrations.js';

/**
 * Applying the PostgreSQL schema steps of `pg-migrations.ts`: the version a store is at, the locked
 * migration that brings it up to date, and the checks that refuse a store too new or (read-only) too old.
 */

export interface MigrationResult {
  /** The schema version found (0: none yet). */
  readonly from: number;
  /** The schema version now. */
  readonly to: number;
}

/**
 * The schema version of the store: 0 when its schema or migrations table does not exist yet.
 */
export async function pgSchemaVersion(connection: PgConnection): Promise<number> {
  const [probe] = await connection.query<{ present: boolean }>(
    'SELECT to_regclass($1) IS NOT NULL AS present',
    [connection.table('schema_migrations')],
  );
  if (!probe?.present) return 0;
  const [row] = await connection.query<{ version: number | null }>(
    `SELECT max(version) AS version FROM ${connection.table('schema_migrations')}`,
  );
  return row?.version ?? 0;
}

/**
 * Brings the schema up to date. A store already at the current version is only read (no lock taken).
 * Otherwise one transaction takes a transaction-level advisory lock keyed by the schema, re-reads the
 * version, creates the schema if needed and applies each pending migration, recording it in
 * `schema_migrations`. Processes starting at once queue on the lock; the first migrates, the others find
 * the work done. DDL is transactional in PostgreSQL, so a failed migration leaves nothing half applied.
 *
 * Throws `UsageError` when the schema is newer than this build knows.
 */
export async function migratePostgres(connection: PgConnection): Promise<MigrationResult> {
  const found = await pgSchemaVersion(connection);
  assertNotNewer(found, connection.location);
  if (found >= PG_SCHEMA_VERSION) return { from: found, to: found };
  return connection.transaction(async (client) => {
    await client.query("SELECT pg_advisory_xact_lock(hashtextextended('agentctl.migrate:' || $1, 0))", [
      connection.schema,
    ]);
    const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [connection.schema]);
    if (exists.rowCount === 0) await client.query(`CREATE SCHEMA ${connection.quotedSchema}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${connection.table('schema_migrations')} (
         version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)`,
    );
    const current = await versionIn(client, connection);
    assertNotNewer(current, connection.location);
    for (const migration of PG_MIGRATIONS) {
      if (migration.version <= current) continue;
      await client.query(migration.sql((name) => connection.table(name)));
      await client.query(
        `INSERT INTO ${connection.table('schema_migrations')} (version, name, applied_at)
         VALUES ($1, $2, ${NOW_MS})`,
        [migration.version, migration.name],
      );
    }
    return { from: current, to: PG_SCHEMA_VERSION };
  });
}

async function versionIn(client: pg.PoolClient, connection: PgConnection): Promise<number> {
  const result = await client.query<{ version: number | null }>(
    `SELECT max(version) AS version FROM ${connection.table('schema_migrations')}`,
  );
  return result.rows[0]?.version ?? 0;
}

export function assertNotNewer(version: number, location: string): void {
  if (version > PG_SCHEMA_VERSION) {
    throw new UsageError(
      `the state store ${location} has schema version ${version}, newer than this agentctl knows (${PG_SCHEMA_VERSION})`,
      { hint: 'upgrade agentctl, or point --db at another database or schema' },
    );
  }
}

/**
 * Read-only opens cannot migrate: a store an older agentctl left is refused with the command that
 * upgrades it, instead of failing later on a table or column it does not have yet.
 */
export function assertNotOlder(version: number, location: string): void {
  if (version < PG_SCHEMA_VERSION) {
    throw new UsageError(
      `the state store ${location} has schema version ${version}, older than this agentctl's (${PG_SCHEMA_VERSION})`,
      {
        hint: `run agentctl store migrate --db ${location} (stop the agents on it first; an agent started on it migrates it too)`,
      },
    );
  }
}
