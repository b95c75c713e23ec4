/** Runs a migrated batch holds at most (flushes write theirs as they come). */
const MIGRATED_BATCH = 1000;

/**
 * The index of ledger batches by event id, kept by triggers, so that a writer inserts one row per batch
 * and the table stays right however a batch changes (rewritten by prune or by a rerun, or deleted). A
 * batch left with no run is deleted. Part of migration 6; see `SqliteRunLedger` for the layout.
 */
const TRIGGERS = `
  CREATE TRIGGER run_ledger_indexed AFTER INSERT ON run_ledger BEGIN
    INSERT OR IGNORE INTO run_ledger_events (event_id, batch)
      SELECT value->>1, NEW.seq FROM json_each(NEW.runs);
  END;
  CREATE TRIGGER run_ledger_unindexed AFTER DELETE ON run_ledger BEGIN
    DELETE FROM run_ledger_events
    WHERE batch = OLD.seq AND event_id IN (SELECT value->>1 FROM json_each(OLD.runs));
  END;
  CREATE TRIGGER run_ledger_reindexed AFTER UPDATE OF runs ON run_ledger BEGIN
    DELETE FROM run_ledger_events WHERE batch = OLD.seq AND event_id IN (
      SELECT value->>1 FROM json_each(OLD.runs) EXCEPT SELECT value->>1 FROM json_each(NEW.runs));
    DELETE FROM run_ledger WHERE seq = NEW.seq AND NEW.count = 0;
  END;
`;

/**
 * Schema 6: the ledger as one row per batch of runs of one group and process (a flush writes one per
 * process it ran), their entries a JSON array (`LedgerEntry`: run id, then the schema-5 data tuple), with
 * the batch's run count and finish-time bounds in columns; and `run_ledger_events`, (event id, batch),
 * through which a run is found. Schema-5 rows move into batches of up to 1,000 in their append order.
 * (A `Migration` of `migrations.ts`, which lists it; typed there, so that neither file imports the other's.)
 */
export const LEDGER_BATCHES_MIGRATION = {
  version: 6,
  name: 'run ledger: one row per batch, found through an event index',
  sql: `
    CREATE TABLE run_ledger_v6 (
      seq            INTEGER PRIMARY KEY,
      group_name     TEXT NOT NULL,
      process        TEXT NOT NULL,
      count          INTEGER NOT NULL,
      first_finished INTEGER NOT NULL,
      last_finished  INTEGER NOT NULL,
      runs           TEXT NOT NULL
    );
    INSERT INTO run_ledger_v6 (group_name, process, count, first_finished, last_finished, runs)
      SELECT group_name, process, count(*), min(finished), max(finished), json_group_array(json(entry))
      FROM (
        SELECT group_name, process, seq, coalesce(finished_at, data->>5) AS finished,
          '[' || json_quote(id) || ',' || substr(data, 2) AS entry,
          (row_number() OVER (PARTITION BY group_name, process ORDER BY seq) - 1) / ${MIGRATED_BATCH} AS chunk
        FROM run_ledger ORDER BY seq)
      GROUP BY group_name, process, chunk ORDER BY min(seq);
    DROP TABLE run_ledger;
    ALTER TABLE run_ledger_v6 RENAME TO run_ledger;
    CREATE INDEX run_ledger_last_finished ON run_ledger (last_finished);
    CREATE TABLE run_ledger_events (
      event_id TEXT NOT NULL,
      batch    INTEGER NOT NULL,
      PRIMARY KEY (event_id, batch)
    ) WITHOUT ROWID;
    INSERT OR IGNORE INTO run_ledger_events (event_id, batch)
      SELECT r.value->>1, l.seq FROM run_ledger l, json_each(l.runs) r ORDER BY 1, 2;
    ${TRIGGERS}
  `,
} as const;
