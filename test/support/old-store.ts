import Database from 'better-sqlite3';
import { legacyDigest, runIdOfDigest } from '../../src/core/processes/run-id.js';
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
