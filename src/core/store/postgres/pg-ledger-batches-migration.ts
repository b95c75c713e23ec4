/** Runs a migrated batch holds at most (flushes write theirs as they come). */
const MIGRATED_BATCH = 1000;

/**
 * Schema 9: the ledger as one row per batch of runs of one group and process (as SQLite's schema 6; see
 * `PgRunLedger`): its entries a JSON array of `LedgerEntry` (run id, then the schema-4 data tuple),
 * stored uncompressed out of line (`STORAGE EXTERNAL`: pglz on every flush cost more than the pages it
 * saved), the run count and finish-time bounds in columns; and `run_ledger_events`, (event id, run id) →
 * batch, through which a run is found and which keeps a run stored once. Schema-4 rows move into
 * batches of up to 1,000 per (group, process) in their finish order; their keys follow, sorted.
 * (A `PgMigration` of `pg-migrations.ts`, which lists it; typed there, so that neither file imports the
 * other's.)
 */
export const PG_LEDGER_BATCHES_MIGRATION = {
  version: 9,
  name: 'run ledger: one row per batch, found through an event index',
  sql: (t: (name: string) => string) => `
    CREATE SEQUENCE ${t('run_ledger_batch')};
    CREATE TABLE ${t('run_ledger_v9')} (
      seq            bigint NOT NULL DEFAULT nextval('${t('run_ledger_batch')}'),
      group_name     text NOT NULL,
      process        text COLLATE "C" NOT NULL,
      count          integer NOT NULL,
      first_finished bigint NOT NULL,
      last_finished  bigint NOT NULL,
      runs           json NOT NULL
    );
    ALTER TABLE ${t('run_ledger_v9')} ALTER COLUMN runs SET STORAGE EXTERNAL;
    INSERT INTO ${t('run_ledger_v9')} (group_name, process, count, first_finished, last_finished, runs)
      SELECT group_name, process, count(*), min(finished), max(finished),
        json_agg(entry ORDER BY finished, id)
      FROM (
        SELECT group_name, process, id, coalesce(finished_at, (data->>5)::float8::bigint) AS finished,
          (jsonb_build_array(id) || data::jsonb)::json AS entry,
          (row_number() OVER (PARTITION BY group_name, process ORDER BY finished_at, id) - 1)
            / ${MIGRATED_BATCH} AS chunk
        FROM ${t('run_ledger')}) old
      GROUP BY group_name, process, chunk ORDER BY min(finished), group_name, process;
    CREATE TABLE ${t('run_ledger_events')} (
      event_id text COLLATE "C" NOT NULL,
      id       text COLLATE "C" NOT NULL,
      batch    bigint NOT NULL
    );
    INSERT INTO ${t('run_ledger_events')} (event_id, id, batch)
      SELECT coalesce(r->>1, ''), r->>0, b.seq FROM ${t('run_ledger_v9')} b, json_array_elements(b.runs) r
      ORDER BY 1, 2;
    DROP TABLE ${t('run_ledger')};
    ALTER TABLE ${t('run_ledger_v9')} RENAME TO run_ledger;
    ALTER SEQUENCE ${t('run_ledger_batch')} OWNED BY ${t('run_ledger')}.seq;
    ALTER TABLE ${t('run_ledger')} ADD CONSTRAINT run_ledger_pkey PRIMARY KEY (seq);
    CREATE INDEX run_ledger_last_finished ON ${t('run_ledger')} (last_finished);
    ALTER TABLE ${t('run_ledger_events')} ADD CONSTRAINT run_ledger_events_pkey PRIMARY KEY (event_id, id);
  `,
} as const;
