import { PG_LEDGER_BATCHES_MIGRATION } from './pg-ledger-batches-migration.js';
import { PG_LEDGER_COMPRESSION_MIGRATION } from './pg-ledger-compression-migration.js';

/**
 * One step of the schema. Applied once, in order, and never edited once released: add a new one. `sql`
 * gets the qualified name of each object (`t('runs')` → `"schema".runs`).
 */
export interface PgMigration {
  readonly version: number;
  readonly name: string;
  readonly sql: (t: (name: string) => string) => string;
}

/**
 * The schema, in numbered steps: the tables of the SQLite adapter with PostgreSQL types. Times are BIGINT
 * milliseconds since the epoch; payloads are BYTEA; structured fields read whole are JSON (stored as
 * text, as written); the failed store's history is JSONB, extended in SQL. Text keys that the store
 * orders by or compares by range (run ids above all) use `COLLATE "C"`, so PostgreSQL orders them byte by
 * byte as JavaScript and SQLite do, whatever the database's locale.
 */
export const PG_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: (t) => `
      CREATE TABLE ${t('checkpoints')} (
        group_name text COLLATE "C" NOT NULL,
        source     text COLLATE "C" NOT NULL,
        partition  text COLLATE "C" NOT NULL,
        position   text NOT NULL,
        owner      text,
        updated_at bigint NOT NULL,
        PRIMARY KEY (group_name, source, partition)
      );

      CREATE TABLE ${t('leases')} (
        group_name  text COLLATE "C" NOT NULL,
        source      text COLLATE "C" NOT NULL,
        partition   text COLLATE "C" NOT NULL,
        owner       text NOT NULL,
        counter     bigint NOT NULL,
        expires_at  bigint NOT NULL,
        acquired_at bigint NOT NULL,
        renewed_at  bigint NOT NULL,
        PRIMARY KEY (group_name, source, partition)
      );

      CREATE TABLE ${t('failed_messages')} (
        id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        key             text NOT NULL UNIQUE,
        group_name      text NOT NULL,
        source          text NOT NULL,
        partition       text NOT NULL,
        position        text NOT NULL,
        reason          text NOT NULL,
        kind            text NOT NULL,
        error           text NOT NULL,
        error_name      text,
        rule            text,
        process         text,
        run_id          text,
        sink            text,
        record_key      text,
        headers         json,
        event_id        text,
        event_type      text,
        attempts        integer NOT NULL,
        raw             bytea NOT NULL,
        timestamp       bigint NOT NULL,
        status          text NOT NULL,
        first_failed_at bigint NOT NULL,
        last_failed_at  bigint NOT NULL,
        history         jsonb NOT NULL,
        replayed_at     bigint
      );
      CREATE INDEX failed_messages_status ON ${t('failed_messages')} (status, id);
      CREATE INDEX failed_messages_group ON ${t('failed_messages')} (group_name, status, reason);
      CREATE INDEX failed_messages_group_id ON ${t('failed_messages')} (group_name, status, id);

      CREATE TABLE ${t('runs')} (
        id               text COLLATE "C" PRIMARY KEY,
        group_name       text NOT NULL,
        event_id         text NOT NULL,
        event_type       text NOT NULL,
        rule             text NOT NULL,
        process          text COLLATE "C" NOT NULL,
        state            text COLLATE "C" NOT NULL,
        current_step     text,
        attempts         integer NOT NULL,
        steps            json NOT NULL,
        created_at       bigint NOT NULL,
        started_at       bigint,
        finished_at      bigint,
        error            text,
        fatal            boolean,
        runner           text NOT NULL,
        worker           text,
        origin_source    text,
        origin_partition text,
        origin_position  text,
        output           json,
        updated_at       bigint NOT NULL
      );
      CREATE INDEX runs_group_state ON ${t('runs')} (group_name, state);
      CREATE INDEX runs_updated_at ON ${t('runs')} (updated_at, id);

      -- Runs that succeeded at the first try of every step, written once in compact form (see
      -- Journal.take()): one narrow row whose key (time-prefixed run ids) grows at the end of the index.
      CREATE TABLE ${t('run_ledger')} (
        id         text COLLATE "C" PRIMARY KEY,
        group_name text NOT NULL,
        process    text COLLATE "C" NOT NULL,
        data       json NOT NULL
      );

      CREATE TABLE ${t('efforts')} (
        id              text COLLATE "C" PRIMARY KEY,
        sink            text NOT NULL,
        record_id       text NOT NULL,
        run_id          text,
        created_at      bigint NOT NULL,
        attempts        integer NOT NULL,
        retries         integer NOT NULL,
        initial_attempt json,
        final_attempt   json,
        history         json NOT NULL,
        culmination     text NOT NULL,
        next_attempt_at bigint,
        last_error      text,
        updated_at      bigint NOT NULL
      );
      CREATE INDEX efforts_updated_at ON ${t('efforts')} (updated_at, id);
      CREATE INDEX efforts_run_id ON ${t('efforts')} (run_id);

      CREATE TABLE ${t('agents')} (
        id           text COLLATE "C" PRIMARY KEY,
        name         text NOT NULL,
        group_name   text NOT NULL,
        host         text NOT NULL,
        pid          integer NOT NULL,
        source       text NOT NULL,
        state        text NOT NULL,
        started_at   bigint NOT NULL,
        heartbeat_at bigint NOT NULL,
        version      text NOT NULL,
        snapshot     json
      );
      CREATE INDEX agents_heartbeat_at ON ${t('agents')} (heartbeat_at);

      CREATE TABLE ${t('control_requests')} (
        id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        agent_id   text NOT NULL,
        kind       text NOT NULL,
        args       json NOT NULL,
        status     text NOT NULL,
        created_at bigint NOT NULL,
        updated_at bigint NOT NULL,
        result     json
      );
      CREATE INDEX control_requests_agent ON ${t('control_requests')} (agent_id, status, id);

      CREATE TABLE ${t('log_topics')} (
        name       text COLLATE "C" PRIMARY KEY,
        partitions integer NOT NULL,
        created_at bigint NOT NULL
      );

      -- The next offset of each log partition. An append bumps it with an upsert that holds the row lock
      -- until it commits: appends to one partition queue, offsets are dense and commit in order.
      CREATE TABLE ${t('log_heads')} (
        topic       text COLLATE "C" NOT NULL,
        partition   integer NOT NULL,
        next_offset bigint NOT NULL,
        PRIMARY KEY (topic, partition)
      );

      CREATE TABLE ${t('log')} (
        topic      text COLLATE "C" NOT NULL,
        partition  integer NOT NULL,
        log_offset bigint NOT NULL,
        key        text,
        timestamp  bigint NOT NULL,
        value      bytea NOT NULL,
        PRIMARY KEY (topic, partition, log_offset)
      );
      CREATE INDEX log_timestamp ON ${t('log')} (topic, partition, timestamp);

      -- A payload as text for the failed store's search: UTF-8 when it is, else escaped bytes (so a
      -- binary payload is searched by its ASCII parts instead of failing the query).
      CREATE FUNCTION ${t('payload_text')}(bytes bytea) RETURNS text
      LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
      BEGIN
        RETURN convert_from(bytes, 'UTF8');
      EXCEPTION WHEN OTHERS THEN
        RETURN encode(bytes, 'escape');
      END
      $$;
    `,
  },
  {
    version: 2,
    name: 'run ids per consumer group',
    // As SQLite's migration 2: run ids become digests of (group, event source, event id, rule), computed
    // here as \`runIdOfDigest\` does (the first 27 characters of the base64url SHA-256 of group, newline,
    // digest), and the references to runs move with them.
    sql: (t) => `
      CREATE FUNCTION pg_temp.agentctl_run_id(g text, old text) RETURNS text LANGUAGE sql IMMUTABLE AS $fn$
        SELECT left(translate(encode(sha256(convert_to(
          g || E'\\n' || CASE WHEN length(old) = 36 THEN substr(old, 10) ELSE old END, 'UTF8')), 'base64'),
          '+/', '-_'), 27)
      $fn$;

      DELETE FROM ${t('run_ledger')} l USING ${t('runs')} r
        WHERE r.id = l.id AND r.updated_at >= (l.data->>5)::float8;
      DELETE FROM ${t('runs')} r USING ${t('run_ledger')} l WHERE l.id = r.id;

      CREATE TEMP TABLE run_id_map ON COMMIT DROP AS
        SELECT id AS old, pg_temp.agentctl_run_id(group_name, id) AS new FROM ${t('runs')}
        UNION SELECT id, pg_temp.agentctl_run_id(group_name, id) FROM ${t('run_ledger')};

      UPDATE ${t('efforts')} e SET
        record_id = CASE WHEN e.record_id = e.run_id THEN m.new ELSE e.record_id END,
        run_id = m.new
      FROM run_id_map m WHERE m.old = e.run_id;

      UPDATE ${t('failed_messages')}
        SET key = left(key, length(key) - length(run_id)) || pg_temp.agentctl_run_id(group_name, run_id)
        WHERE run_id IS NOT NULL AND key LIKE 'publish/%' AND right(key, length(run_id)) = run_id;
      UPDATE ${t('failed_messages')} SET run_id = pg_temp.agentctl_run_id(group_name, run_id)
        WHERE run_id IS NOT NULL;

      UPDATE ${t('runs')} SET id = pg_temp.agentctl_run_id(group_name, id);
      UPDATE ${t('run_ledger')} SET id = pg_temp.agentctl_run_id(group_name, id);

      ALTER TABLE ${t('run_ledger')} ADD COLUMN finished_at bigint;
      UPDATE ${t('run_ledger')} SET finished_at = (data->>5)::float8::bigint;
      CREATE INDEX run_ledger_finished_at ON ${t('run_ledger')} (finished_at);
      DROP FUNCTION pg_temp.agentctl_run_id(text, text);
    `,
  },
  {
    // Self-contained: only adds a nullable column, whatever other migrations come before or after it.
    version: 3,
    name: 'failed messages keep a reference to their sink',
    sql: (t) => `ALTER TABLE ${t('failed_messages')} ADD COLUMN IF NOT EXISTS sink_ref text;`,
  },
  {
    version: 4,
    name: 'run ledger keyed by event id, then run id',
    // See `PgRunStore` for the layout and why. The event id comes out of the data tuple into a column of
    // its own; the key is built once the rows are in (a sorted build, not one insert per row).
    sql: (t) => `
      CREATE TABLE ${t('run_ledger_v4')} (
        event_id    text COLLATE "C" NOT NULL,
        id          text COLLATE "C" NOT NULL,
        group_name  text NOT NULL,
        process     text COLLATE "C" NOT NULL,
        data        json NOT NULL,
        finished_at bigint
      );
      INSERT INTO ${t('run_ledger_v4')} (event_id, id, group_name, process, data, finished_at)
        SELECT coalesce(data->>0, ''), id, group_name, process, data, finished_at FROM ${t('run_ledger')}
        ORDER BY finished_at, id;
      DROP TABLE ${t('run_ledger')};
      ALTER TABLE ${t('run_ledger_v4')} RENAME TO run_ledger;
      ALTER TABLE ${t('run_ledger')} ADD CONSTRAINT run_ledger_pkey PRIMARY KEY (event_id, id);
      CREATE INDEX run_ledger_finished_at ON ${t('run_ledger')} (finished_at);
    `,
  },
  {
    // Self-contained: only creates its own table and index, whatever other migrations come before or after.
    version: 5,
    name: 'checkpoint history',
    sql: (t) => `
      CREATE TABLE IF NOT EXISTS ${t('checkpoint_history')} (
        id         bigserial PRIMARY KEY,
        group_name text COLLATE "C" NOT NULL,
        source     text COLLATE "C" NOT NULL,
        partition  text COLLATE "C" NOT NULL,
        before     text,
        after      text,
        actor      text NOT NULL,
        command    text NOT NULL,
        reason     text,
        at         bigint NOT NULL
      );
      CREATE INDEX IF NOT EXISTS checkpoint_history_group ON ${t('checkpoint_history')} (group_name, source, id);
    `,
  },
  {
    // Self-contained: only adds an index (and the extension it needs), whatever other migrations exist.
    version: 8,
    name: 'failed messages: trigram index for search',
    // `failed list --search` stays a case-insensitive substring match (ILIKE); pg_trgm's GIN index
    // answers it from the pattern's trigrams instead of reading every payload. pg_trgm ships with
    // PostgreSQL and is a trusted extension (13+: the database owner may create it). Where it cannot be
    // created the migration still applies, without the index: the search then reads every item, as before.
    sql: (t) => `
      -- Its exception block makes it unfit for parallel workers (a parallel scan failed with "cannot start
      -- subtransactions during a parallel operation").
      ALTER FUNCTION ${t('payload_text')}(bytea) PARALLEL RESTRICTED;
      DO $migration$
      DECLARE
        trgm text;
        -- As PgFailedStore compares: under the ICU root collation when the server has it. An index is
        -- used only for a comparison under its own collation.
        coll text := CASE WHEN EXISTS (SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu')
          THEN ' COLLATE "und-x-icu"' ELSE '' END;
      BEGIN
        -- Stores in other schemas of the database may be migrating at once: one creates the extension.
        PERFORM pg_advisory_xact_lock(hashtextextended('agentctl.pg_trgm', 0));
        BEGIN
          CREATE EXTENSION IF NOT EXISTS pg_trgm;
        EXCEPTION WHEN OTHERS THEN
          RAISE NOTICE 'agentctl: no pg_trgm (%), failed list --search reads every item', SQLERRM;
          RETURN;
        END;
        SELECT quote_ident(n.nspname) || '.gin_trgm_ops' INTO trgm
          FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm';
        EXECUTE format(
          'CREATE INDEX IF NOT EXISTS failed_messages_search ON %s USING gin ('
            '(error%2$s) %3$s, (event_type%2$s) %3$s, (event_id%2$s) %3$s, (%4$s(raw)%2$s) %3$s)',
          '${literal(t('failed_messages'))}', coll, trgm, '${literal(t('payload_text'))}');
      END
      $migration$;
    `,
  },
  PG_LEDGER_BATCHES_MIGRATION,
  PG_LEDGER_COMPRESSION_MIGRATION,
];

/** `text` as the inside of an SQL string literal. */
function literal(text: string): string {
  return text.replaceAll("'", "''");
}

/** The newest schema version this build knows. */
export const PG_SCHEMA_VERSION = Math.max(...PG_MIGRATIONS.map((m) => m.version));
