import type pg from 'pg';
import type { Clock } from '../../clock.js';
import { UsageError } from '../../errors/usage-error.js';
import { redactUri } from '../../redact.js';
import type { JournalBatch } from '../journal.js';
import { isPooledUtf8, releasePooledUtf8 } from '../pooled-utf8.js';
import type { CheckpointWrite } from '../records.js';
import type { FlushResult, StateStore } from '../state-store.js';
import { PgAgentStore } from './pg-agent-store.js';
import { PgCheckpointStore } from './pg-checkpoint-store.js';
import { assertSchemaName, PgConnection, type PgStatement } from './pg-connection.js';
import { PgControlStore } from './pg-control-store.js';
import { PgEffortStore } from './pg-effort-store.js';
import { PgFailedStore } from './pg-failed-store.js';
import { PgLeaseStore } from './pg-lease-store.js';
import { PgLogStore } from './pg-log-store.js';
import {
  assertNotNewer,
  assertNotOlder,
  type MigrationResult,
  migratePostgres,
  pgSchemaVersion,
} from './pg-migrate.js';
import { LEDGER_KEY, type StoredKey } from './pg-run-ledger.js';
import { PgRunStore } from './pg-run-store.js';

export const DEFAULT_SCHEMA = 'public';
export const DEFAULT_POOL_SIZE = 5;

export interface PostgresStoreOptions {
  /** `postgres://user:pass@host:port/db`; a `schema=NAME` query parameter picks the schema. */
  readonly url: string;
  /**
   * Not consulted: every store-side time (lease expiry, fences, stamps) is the database clock's, so that
   * agents on hosts with skewed clocks agree. Accepted so callers can hand both adapters the same options.
   */
  readonly clock?: Clock;
  /** The schema holding the store's tables (created if missing). Default: the URL's `schema`, else public. */
  readonly schema?: string;
  /** Connections this process may hold at once. Default 5. */
  readonly poolSize?: number;
  /** Opens an existing store for reading only (`status`, the TUI): no migrations, sessions read-only. */
  readonly readonly?: boolean;
}

/**
 * The PostgreSQL adapter of the state store, for fleet mode: agents on many hosts share one database.
 *
 * - Time: every store-side time is the database clock (`now()` in ms), never a client's; lease expiry and
 *   checkpoint fences are judged by it, so clock skew between hosts cannot make two owners of a partition.
 * - Each port call is one statement (one round trip), atomic on its own; `flush` writes a whole journal
 *   batch and its checkpoints with one statement of data-modifying CTEs fed by JSON parameters
 *   (`json_to_recordset`): one round trip and one transaction per batch, never a query per record.
 * - Tables live in one schema (default `public`), named explicitly in every statement.
 */
export class PostgresStateStore implements StateStore {
  readonly kind = 'postgres' as const;
  readonly location: string;
  readonly checkpoints: PgCheckpointStore;
  readonly leases: PgLeaseStore;
  readonly failed: PgFailedStore;
  readonly runs: PgRunStore;
  readonly efforts: PgEffortStore;
  readonly agents: PgAgentStore;
  readonly control: PgControlStore;
  readonly log: PgLogStore;
  /** The flush statement by what a ledger key already stored does (see `PgRunLedger.ctes`). */
  private readonly flushSql: Readonly<Record<StoredKey, string>>;

  /** Takes an open, migrated connection; use `openPostgresStore`. */
  constructor(
    private readonly connection: PgConnection,
    icu: boolean,
  ) {
    this.location = connection.location;
    this.checkpoints = new PgCheckpointStore(connection);
    this.leases = new PgLeaseStore(connection);
    this.failed = new PgFailedStore(connection, icu);
    this.runs = new PgRunStore(connection);
    this.efforts = new PgEffortStore(connection);
    this.agents = new PgAgentStore(connection);
    this.control = new PgControlStore(connection);
    this.log = new PgLogStore(connection);
    const flushSql = (stored: StoredKey) =>
      `WITH ${this.runs.ctes('$1', 5, stored)}, ${this.efforts.cte('$2')}, ${this.failed.cte('$3')},
      ${this.checkpoints.ctes('$4')} ${PgCheckpointStore.REJECTED}`;
    this.flushSql = { fail: flushSql('fail'), skip: flushSql('skip') };
  }

  /**
   * One prepared statement, one round trip: full runs, efforts, parked messages and checkpoint writes
   * travel as four JSON parameters and ledger runs as arrays (see `PgRunLedger.ctes`), written by
   * data-modifying CTEs, all or nothing. Fences are checked in the same statement (see `PgCheckpointStore.ctes`). A replay's
   * outcomes (`replayed`, `refailed`) follow in the same transaction, so they land with their runs and
   * parkings or not at all, and see the parkings written before them (as on SQLite).
   *
   * Ledger keys are inserted plainly; when one is stored already, the failed transaction is made again
   * with the statement that skips such runs (see `PgRunLedger`).
   */
  async flush(batch: JournalBatch, checkpoints: readonly CheckpointWrite[] = []): Promise<FlushResult> {
    try {
      return await this.flushOnce(batch, checkpoints, 'fail');
    } catch (error) {
      if (!isStoredLedgerKey(error)) throw error;
      return this.flushOnce(batch, checkpoints, 'skip');
    }
  }

  private async flushOnce(
    batch: JournalBatch,
    checkpoints: readonly CheckpointWrite[],
    stored: StoredKey,
  ): Promise<FlushResult> {
    const empty =
      batch.runs.length + batch.ledger.length + batch.efforts.length + batch.parked.length === 0 &&
      checkpoints.length === 0;
    const statements = empty ? [] : [this.flushStatement(batch, checkpoints, stored)];
    if (batch.replaced !== undefined && batch.replaced.length > 0)
      statements.unshift(this.runs.removals(batch.replaced, eventIdsOf(batch)));
    statements.push(...this.failed.replayOutcomes(batch));
    if (statements.length === 0) return { rejected: [] };
    let flushed: pg.QueryResult | undefined;
    try {
      [flushed] = await this.connection.runAll(statements);
    } finally {
      // Settled: the driver no longer reads the statements' pooled bytes (see `PgRunLedger.params`).
      for (const { values } of statements) releasePooledUtf8(values.filter(isPooledUtf8));
    }
    return {
      rejected: empty ? [] : PgCheckpointStore.rejected(checkpoints, flushed!.rows as { i: number }[]),
    };
  }

  private flushStatement(
    batch: JournalBatch,
    checkpoints: readonly CheckpointWrite[],
    stored: StoredKey,
  ): PgStatement {
    return {
      text: this.flushSql[stored],
      values: [
        PgRunStore.runsParam(batch.runs),
        PgEffortStore.param(batch.efforts),
        PgFailedStore.param(batch.parked),
        PgCheckpointStore.param(checkpoints),
        ...PgRunStore.ledgerParams(batch.ledger),
      ],
      name: stored === 'fail' ? 'agentctl_flush' : 'agentctl_flush_skipping_stored',
    };
  }

  /** The server's clock (`SELECT now()`), in ms since the epoch: `agentctl doctor` compares it with ours. */
  async serverTime(): Promise<number> {
    const rows = await this.connection.query<{ now: string }>(
      'SELECT (extract(epoch FROM now()) * 1000)::float8::text AS now',
    );
    return Number(rows[0]?.now);
  }

  /** Ends the pool (waits for calls under way). Idempotent. */
  async close(): Promise<void> {
    await this.connection.close();
  }
}

/** A unique violation of the ledger's key: a flush met a run stored already (see `PgRunLedger`). */
function isStoredLedgerKey(error: unknown): boolean {
  const { code, constraint } = error as { code?: unknown; constraint?: unknown };
  return code === '23505' && constraint === LEDGER_KEY;
}

/** The event id of each run in a batch, by run id. */
function eventIdsOf(batch: JournalBatch): Map<string, string> {
  const ids = new Map<string, string>();
  for (const run of batch.runs) ids.set(run.id, run.eventId);
  for (const run of batch.ledger) ids.set(run.id, run.eventId);
  return ids;
}

/**
 * Connects, migrates (once, under an advisory lock, however many processes start together; see
 * `migratePostgres`) and returns the store. Throws `UsageError` naming the store (credentials redacted)
 * when the server cannot be reached, refuses the login, lacks the database, has a schema newer than this
 * build, or (read-only) has no store yet.
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<PostgresStateStore> {
  const connection = connect(options);
  try {
    if (options.readonly) {
      const version = await pgSchemaVersion(connection);
      if (version === 0) {
        throw new UsageError(`${connection.location} is not an agentctl state store yet (it has no schema)`, {
          hint: 'run agentctl store migrate --db URL, or start an agent on it first',
        });
      }
      assertNotNewer(version, connection.location);
      assertNotOlder(version, connection.location);
    } else {
      await migratePostgres(connection);
    }
    const [probe] = await connection.query<{ icu: boolean }>(
      "SELECT EXISTS (SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu') AS icu",
    );
    connection.opened = true;
    return new PostgresStateStore(connection, probe?.icu ?? false);
  } catch (error) {
    await connection.close().catch(() => undefined);
    throw error;
  }
}

/** Applies pending migrations without keeping a store open: `agentctl store migrate`. */
export async function migratePostgresStore(
  options: Pick<PostgresStoreOptions, 'url' | 'schema'>,
): Promise<MigrationResult & { readonly location: string }> {
  const connection = connect({ ...options, poolSize: 1 });
  try {
    return { ...(await migratePostgres(connection)), location: connection.location };
  } finally {
    await connection.close().catch(() => undefined);
  }
}

function connect(options: PostgresStoreOptions): PgConnection {
  const { url, schema, location } = resolveUrl(options.url, options.schema);
  assertSchemaName(schema);
  const poolSize = options.poolSize ?? DEFAULT_POOL_SIZE;
  if (!Number.isInteger(poolSize) || poolSize < 1) {
    throw new UsageError(`the store pool size must be a whole number ≥ 1, not ${poolSize}`);
  }
  return new PgConnection({ url, location, schema, poolSize, readonly: options.readonly ?? false });
}

/** Splits agentctl's own `schema` parameter off the URL; the location keeps it, credentials redacted. */
function resolveUrl(
  raw: string,
  schemaOption: string | undefined,
): { url: string; schema: string; location: string } {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch (error) {
    throw new UsageError(`"${redactUri(raw)}" is not a PostgreSQL URI`, {
      cause: error,
      hint: 'use postgres://user:password@host:5432/database[?schema=NAME]',
    });
  }
  const fromUrl = parsed.searchParams.get('schema');
  const schema = schemaOption ?? fromUrl ?? DEFAULT_SCHEMA;
  let url = raw;
  if (fromUrl !== null) {
    parsed.searchParams.delete('schema');
    url = parsed.toString();
  }
  let location = redactUri(raw);
  if (schema !== (fromUrl ?? DEFAULT_SCHEMA)) location += `${raw.includes('?') ? '&' : '?'}schema=${schema}`;
  return { url, schema, location };
}
