import type Database from 'better-sqlite3';
import type { Clock } from '../../clock.js';
import { UsageError } from '../../errors/usage-error.js';
import { legacyDigest, runIdOfDigest } from '../../model/run-id.js';
import { CHECKPOINT_HISTORY_MIGRATION } from './checkpoint-history-migration.js';
import { FAILED_PAYLOADS_MIGRATION } from './failed-payloads-migration.js';
import { FAILED_SEARCH_MIGRATION } from './failed-search-migration.js';
import { LEDGER_BATCHES_MIGRATION } from './ledger-batches-migration.js';

/** One step of the schema. Applied once, in order, and never edited once released: add a new one. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/**
 * The schema, in numbered steps. Column names are snake_case; `group_name` stands for the agent group
 * (`group` is an SQL keyword). Times are integer milliseconds since the epoch; structured fields that are
 * only ever read whole (run steps, effort history, snapshots) are JSON text, so the hot path writes one
 * row per record.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE checkpoints (
        group_name TEXT NOT NULL,
        source     TEXT NOT NULL,
        partition  TEXT NOT NULL,
        position   TEXT NOT NULL,
        owner      TEXT,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (group_name, source, partition)
      ) WITHOUT ROWID;

      CREATE TABLE leases (
        group_name  TEXT NOT NULL,
        source      TEXT NOT NULL,
        partition   TEXT NOT NULL,
        owner       TEXT NOT NULL,
        counter     INTEGER NOT NULL,
        expires_at  INTEGER NOT NULL,
        acquired_at INTEGER NOT NULL,
        renewed_at  INTEGER NOT NULL,
        PRIMARY KEY (group_name, source, partition)
      ) WITHOUT ROWID;

      CREATE TABLE failed_messages (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        key            TEXT NOT NULL UNIQUE,
        group_name     TEXT NOT NULL,
        source         TEXT NOT NULL,
        partition      TEXT NOT NULL,
        position       TEXT NOT NULL,
        reason         TEXT NOT NULL,
        kind           TEXT NOT NULL,
        error          TEXT NOT NULL,
        error_name     TEXT,
        rule           TEXT,
        process        TEXT,
        run_id         TEXT,
        sink           TEXT,
        record_key     TEXT,
        headers        TEXT,
        event_id       TEXT,
        event_type     TEXT,
        attempts       INTEGER NOT NULL,
        raw            BLOB NOT NULL,
        timestamp      INTEGER NOT NULL,
        status         TEXT NOT NULL,
        first_failed_at INTEGER NOT NULL,
        last_failed_at INTEGER NOT NULL,
        history        TEXT NOT NULL,
        replayed_at    INTEGER
      );
      CREATE INDEX failed_messages_status ON failed_messages (status, id);
      CREATE INDEX failed_messages_group ON failed_messages (group_name, status, reason);
      CREATE INDEX failed_messages_group_id ON failed_messages (group_name, status, id);

      CREATE TABLE runs (
        id               TEXT PRIMARY KEY,
        group_name       TEXT NOT NULL,
        event_id         TEXT NOT NULL,
        event_type       TEXT NOT NULL,
        rule             TEXT NOT NULL,
        process          TEXT NOT NULL,
        state            TEXT NOT NULL,
        current_step     TEXT,
        attempts         INTEGER NOT NULL,
        steps            TEXT NOT NULL,
        created_at       INTEGER NOT NULL,
        started_at       INTEGER,
        finished_at      INTEGER,
        error            TEXT,
        fatal            INTEGER,
        runner           TEXT NOT NULL,
        worker           TEXT,
        origin_source    TEXT,
        origin_partition TEXT,
        origin_position  TEXT,
        output           TEXT,
        updated_at       INTEGER NOT NULL
      );
      CREATE INDEX runs_group_state ON runs (group_name, state);
      CREATE INDEX runs_updated_at ON runs (updated_at);

      -- Runs that succeeded at the first try of every step, written once in compact form: one narrow
      -- row whose key (time-prefixed run ids) grows at the end of the index. See Journal.take().
      CREATE TABLE run_ledger (
        id         TEXT PRIMARY KEY,
        group_name TEXT NOT NULL,
        process    TEXT NOT NULL,
        data       TEXT NOT NULL
      ) WITHOUT ROWID;

      CREATE TABLE efforts (
        id              TEXT PRIMARY KEY,
        sink            TEXT NOT NULL,
        record_id       TEXT NOT NULL,
        run_id          TEXT,
        created_at      INTEGER NOT NULL,
        attempts        INTEGER NOT NULL,
        retries         INTEGER NOT NULL,
        initial_attempt TEXT,
        final_attempt   TEXT,
        history         TEXT NOT NULL,
        culmination     TEXT NOT NULL,
        next_attempt_at INTEGER,
        last_error      TEXT,
        updated_at      INTEGER NOT NULL
      );
      CREATE INDEX efforts_updated_at ON efforts (updated_at);
      CREATE INDEX efforts_run_id ON efforts (run_id);

      CREATE TABLE agents (
        id           TEXT PRIMARY KEY,
        name         TEXT NOT NULL,
        group_name   TEXT NOT NULL,
        host         TEXT NOT NULL,
        pid          INTEGER NOT NULL,
        source       TEXT NOT NULL,
        state        TEXT NOT NULL,
        started_at   INTEGER NOT NULL,
        heartbeat_at INTEGER NOT NULL,
        version      TEXT NOT NULL,
        snapshot     TEXT
      );
      CREATE INDEX agents_heartbeat_at ON agents (heartbeat_at);

      CREATE TABLE control_requests (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        agent_id   TEXT NOT NULL,
        kind       TEXT NOT NULL,
        args       TEXT NOT NULL,
        status     TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        result     TEXT
      );
      CREATE INDEX control_requests_agent ON control_requests (agent_id, status, id);

      CREATE TABLE log_topics (
        name       TEXT PRIMARY KEY,
        partitions INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      );

      CREATE TABLE log (
        topic     TEXT NOT NULL,
        partition INTEGER NOT NULL,
        offset    INTEGER NOT NULL,
        key       TEXT,
        timestamp INTEGER NOT NULL,
        value     BLOB NOT NULL,
        PRIMARY KEY (topic, partition, offset)
      ) WITHOUT ROWID;
      CREATE INDEX log_timestamp ON log (topic, partition, timestamp);
    `,
  },
  {
    version: 2,
    name: 'run ids per consumer group',
    // Run ids become digests of (group, event source, event id, rule) without the event time (see
    // `runIdOf`); `agentctl_run_id(group, old id)` is registered by `migrate`. The references to runs
    // (efforts, parked items and their keys) move with them. A run kept in both tables by a `--rerun` of
    // older builds keeps its newer record. The ledger gets its finish time as a column, for prune.
    sql: `
      DELETE FROM run_ledger WHERE EXISTS (
        SELECT 1 FROM runs r WHERE r.id = run_ledger.id AND r.updated_at >= json_extract(run_ledger.data, '$[5]'));
      DELETE FROM runs WHERE EXISTS (SELECT 1 FROM run_ledger l WHERE l.id = runs.id);

      CREATE TEMP TABLE run_id_map (old TEXT PRIMARY KEY, new TEXT NOT NULL) WITHOUT ROWID;
      INSERT OR IGNORE INTO run_id_map SELECT id, agentctl_run_id(group_name, id) FROM runs;
      INSERT OR IGNORE INTO run_id_map SELECT id, agentctl_run_id(group_name, id) FROM run_ledger;

      UPDATE efforts SET
        record_id = CASE WHEN record_id = run_id THEN (SELECT new FROM run_id_map WHERE old = run_id) ELSE record_id END,
        run_id = (SELECT new FROM run_id_map WHERE old = run_id)
      WHERE run_id IN (SELECT old FROM run_id_map);

      UPDATE failed_messages SET key = substr(key, 1, length(key) - length(run_id)) || agentctl_run_id(group_name, run_id)
      WHERE run_id IS NOT NULL AND key LIKE 'publish/%' AND substr(key, -length(run_id)) = run_id;
      UPDATE failed_messages SET run_id = agentctl_run_id(group_name, run_id) WHERE run_id IS NOT NULL;

      UPDATE runs SET id = agentctl_run_id(group_name, id);
      UPDATE run_ledger SET id = agentctl_run_id(group_name, id);
      DROP TABLE temp.run_id_map;

      ALTER TABLE run_ledger ADD COLUMN finished_at INTEGER;
      UPDATE run_ledger SET finished_at = json_extract(data, '$[5]');
      CREATE INDEX run_ledger_finished_at ON run_ledger (finished_at);
    `,
  },
  {
    // Self-contained: only adds a nullable column, whatever other migrations come before or after it.
    version: 3,
    name: 'failed messages keep a reference to their sink',
    sql: 'ALTER TABLE failed_messages ADD COLUMN sink_ref TEXT;',
  },
  {
    version: 4,
    name: 'run ledger in append order, found by event id',
    // See `SqliteRunStore` for the layout and why. Rows are copied in finish order (their new append
    // order); the event id comes out of the data tuple into a column of its own.
    sql: `
      CREATE TABLE run_ledger_v4 (
        seq         INTEGER PRIMARY KEY,
        id          TEXT NOT NULL,
        event_id    TEXT NOT NULL,
        group_name  TEXT NOT NULL,
        process     TEXT NOT NULL,
        data        TEXT NOT NULL,
        finished_at INTEGER
      );
      INSERT INTO run_ledger_v4 (id, event_id, group_name, process, data, finished_at)
        SELECT id, coalesce(json_extract(data, '$[0]'), ''), group_name, process, data, finished_at FROM run_ledger
        ORDER BY finished_at, id;
      DROP TABLE run_ledger;
      ALTER TABLE run_ledger_v4 RENAME TO run_ledger;
      CREATE INDEX run_ledger_event ON run_ledger (event_id);
      CREATE INDEX run_ledger_finished_at ON run_ledger (finished_at);
    `,
  },
  {
    // Self-contained (any version number will do): only swaps indexes of failed_messages.
    version: 5,
    name: 'failed messages: group indexes over pending items only',
    // A replay marks every item it delivers `replayed`; with status in three indexes that was a delete
    // and an insert in each (~4 µs of the replay bench's ~20 µs of SQL per item). The group indexes now
    // hold pending items only (a status change out of pending is one delete from each, nothing is
    // inserted): they serve what is asked of a group's pending items — replay's pages, `failed list`
    // paging, counts by reason (queries must spell `status = 'pending'` out, see `whereOf`). Other
    // statuses, with or without a group, go by (status, id).
    sql: `
      DROP INDEX IF EXISTS failed_messages_group;
      DROP INDEX IF EXISTS failed_messages_group_id;
      CREATE INDEX IF NOT EXISTS failed_messages_pending_reason ON failed_messages (group_name, reason)
        WHERE status = 'pending';
      CREATE INDEX IF NOT EXISTS failed_messages_pending_id ON failed_messages (group_name, id)
        WHERE status = 'pending';
    `,
  },
  LEDGER_BATCHES_MIGRATION,
  CHECKPOINT_HISTORY_MIGRATION,
  FAILED_SEARCH_MIGRATION,
  FAILED_PAYLOADS_MIGRATION,
];

/** The newest schema version this build knows. */
export const SCHEMA_VERSION = Math.max(...MIGRATIONS.map((m) => m.version));

/**
 * The schema version of an open database: 0 when it has no migrations table yet (a fresh file).
 */
export function schemaVersion(db: Database.Database): number {
  const table = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
    .get();
  if (table === undefined) return 0;
  const row = db.prepare('SELECT max(version) AS version FROM schema_migrations').get() as {
    version: number | null;
  };
  return row.version ?? 0;
}

/**
 * Brings the schema up to date. Each pending migration runs in its own `BEGIN IMMEDIATE` transaction that
 * first re-checks whether it was applied: several processes opening a fresh file at once queue on the
 * write lock (within the busy timeout), and the first one applies each step while the others find it
 * done. A database already at the current version takes no write lock at all.
 *
 * Throws `UsageError` when the file was written by a newer agentctl (its schema is ahead of this build).
 */
export function migrate(db: Database.Database, clock: Clock, location: string): void {
  const current = schemaVersion(db);
  assertNotNewer(current, location);
  if (current >= SCHEMA_VERSION) return;
  db.function('agentctl_run_id', { deterministic: true }, (group, id) =>
    runIdOfDigest(String(group), legacyDigest(String(id))),
  );
  for (const migration of MIGRATIONS) {
    db.transaction(() => {
      db.exec(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)',
      );
      const done = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(migration.version);
      if (done !== undefined) return;
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(
        migration.version,
        clock.now(),
      );
    }).immediate();
  }
}

export function assertNotNewer(version: number, location: string): void {
  if (version > SCHEMA_VERSION) {
    throw new UsageError(
      `the state store ${location} has schema version ${version}, newer than this agentctl knows (${SCHEMA_VERSION})`,
      { hint: 'upgrade agentctl, or point --db at another file' },
    );
  }
}

/**
 * Read-only opens cannot migrate: a store an older agentctl left is refused with the command that
 * upgrades it, instead of failing later on a table or column it does not have yet.
 */
export function assertNotOlder(version: number, location: string): void {
  if (version < SCHEMA_VERSION) {
    throw new UsageError(
      `the state store ${location} has schema version ${version}, older than this agentctl's (${SCHEMA_VERSION})`,
      {
        hint: `run agentctl store migrate --db ${location} (stop the agents on it first; an agent started on it migrates it too)`,
      },
    );
  }
}
