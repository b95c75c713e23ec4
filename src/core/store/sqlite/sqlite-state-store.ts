import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { type Clock, systemClock } from '../../clock.js';
import { UsageError } from '../../errors/usage-error.js';
import { createPrivateFile, makePrivateDirectory } from '../../private-files.js';
import type { JournalBatch } from '../journal.js';
import { releasePooledUtf8 } from '../pooled-utf8.js';
import type { CheckpointWrite } from '../records.js';
import type { FlushOptions, FlushResult, StateStore } from '../state-store.js';
import { assertNotNewer, assertNotOlder, migrate, schemaVersion } from './migrations.js';
import { SqliteAgentStore } from './sqlite-agent-store.js';
import { SqliteCheckpointStore } from './sqlite-checkpoint-store.js';
import { retryWhileBusy, SqliteConnection } from './sqlite-connection.js';
import { SqliteControlStore } from './sqlite-control-store.js';
import { SqliteEffortStore } from './sqlite-effort-store.js';
import { SqliteFailedStore } from './sqlite-failed-store.js';
import { SqliteLeaseStore } from './sqlite-lease-store.js';
import { SqliteLogStore } from './sqlite-log-store.js';
import { SqliteRunStore } from './sqlite-run-store.js';
import { SqliteWriter } from './sqlite-writer.js';
/** Where the store lives when no path is given, relative to the working directory. */
import { DEFAULT_STORE_PATH } from './store-defaults.js';
import { pooledIn, WriteBatchBuilder } from './write-batch.js';

export { DEFAULT_STORE_PATH };
export const DEFAULT_BUSY_TIMEOUT_MS = 5_000;

/**
 * Page cache of each connection (the caller's and the writer thread's), in KiB: SQLite's negative
 * `cache_size`, allocated as pages are touched and held until the connection closes. Memory-mapped I/O
 * stays off: mapped pages of a large log count towards the process's RSS, and an agent must keep a flat,
 * bounded footprint however large its store grows. An agent's hot pages are few: the tails of the log's
 * partitions it reads and of the tables and indexes a flush appends to (a flush of 1,000 runs dirties
 * tens of pages; one that dirties more than the cache spills them to the WAL early, which stays correct).
 * Every other page is read once, from the OS's file cache. On the `local` bench (1 M events), 1 MiB (256
 * pages) against 4 MiB made the same file I/O (read and write calls within 2 %), so the same work for
 * SQLite, with 3–4 MB less memory outside the V8 heap (median peak RSS −5 MB over 23 interleaved pairs);
 * 16 MiB had cost ~30 MB more. Raise it (`SqliteStoreOptions.pageCacheKib`) for a store that serves large
 * ad-hoc queries.
 */
export const DEFAULT_PAGE_CACHE_KIB = 1024;

export interface SqliteStoreOptions {
  /** The database file; `':memory:'` for a private, throw-away store. Default `.agentctl/agent.db`. */
  readonly path?: string;
  /** Judges lease expiry and stamps store-side times (checkpoints, heartbeats, control requests). */
  readonly clock?: Clock;
  /** How long a call waits for another process's write lock before failing as busy. Default 5 s. */
  readonly busyTimeoutMs?: number;
  /** Opens an existing store for reading only (`status`, the TUI): no migrations, no directory created. */
  readonly readonly?: boolean;
  /**
   * Applies flushes on a writer thread with its own connection (default: true for a file store, which
   * keeps the event loop free while SQLite writes; always false for `:memory:`).
   */
  readonly writerThread?: boolean;
  /** Page cache of each of the store's connections, in KiB (default `DEFAULT_PAGE_CACHE_KIB`, 1 MiB). */
  readonly pageCacheKib?: number;
}

/**
 * The SQLite adapter of the state store: one file in WAL mode, so readers never block the writer and
 * several agents and the console can share it. Every call is atomic; writes that may race with other
 * processes take the write lock up front (`BEGIN IMMEDIATE`) and wait for it up to the busy timeout.
 * `synchronous = NORMAL`: a power loss may lose the last transactions but never corrupts the file, and a
 * process crash loses nothing committed. Foreign keys are not used: the tables refer to each other only
 * by ids the engine keeps consistent, and constraint checks would cost the hot path.
 */
export class SqliteStateStore implements StateStore {
  readonly kind = 'sqlite' as const;
  readonly location: string;
  readonly checkpoints: SqliteCheckpointStore;
  readonly leases: SqliteLeaseStore;
  readonly failed: SqliteFailedStore;
  readonly runs: SqliteRunStore;
  readonly efforts: SqliteEffortStore;
  readonly agents: SqliteAgentStore;
  readonly control: SqliteControlStore;
  readonly log: SqliteLogStore;
  private readonly writer: SqliteWriter | undefined;

  /** Takes an open, migrated connection; use `openSqliteStore`. */
  constructor(
    private readonly connection: SqliteConnection,
    writer?: SqliteWriter,
  ) {
    this.writer = writer;
    this.location = connection.location;
    this.log = new SqliteLogStore(connection, writer);
    this.checkpoints = new SqliteCheckpointStore(connection);
    this.leases = new SqliteLeaseStore(connection, writer);
    this.failed = new SqliteFailedStore(connection);
    this.runs = new SqliteRunStore(connection);
    this.efforts = new SqliteEffortStore(connection);
    this.agents = new SqliteAgentStore(connection, writer);
    this.control = new SqliteControlStore(connection);
  }

  /**
   * One `BEGIN IMMEDIATE` transaction of cached prepared statements, one statement per record. The batch
   * is built here and applied on the writer thread when the store has one (file stores), so the caller's
   * event loop keeps running while SQLite writes — unless it is small, nothing of ours is on the thread
   * (`SqliteWriter.inPlace`) and the caller did not ask for the background (`FlushOptions`): then it is
   * written here, at once, which costs less than the hand-over (a one-off command's flush). Writes stay in
   * call order, so a newer record is never overwritten by an older one.
   */
  async flush(
    batch: JournalBatch,
    checkpoints: readonly CheckpointWrite[] = [],
    options: FlushOptions = {},
  ): Promise<FlushResult> {
    const writes = new WriteBatchBuilder();
    this.runs.addRemovals(writes, batch.replaced, batch.replaced && eventIdsOf(batch));
    this.runs.addRuns(writes, batch.runs);
    this.runs.addLedger(writes, batch.ledger);
    this.efforts.addWrites(writes, batch.efforts);
    this.failed.addParked(writes, batch.parked);
    this.failed.addReplayOutcomes(writes, batch);
    const places = this.checkpoints.addWrites(writes, checkpoints);
    if (writes.empty) return { rejected: [] };
    const built = writes.build();
    let changes: number[][];
    if (
      this.writer === undefined ||
      (!options.background && this.writer.inPlace(rowsOf(batch, checkpoints)))
    ) {
      try {
        changes = await this.connection.call(() =>
          this.connection.immediate(() => this.connection.apply(built)),
        );
      } finally {
        releasePooledUtf8(pooledIn(built));
      }
    } else {
      try {
        changes = await this.writer.write(built);
      } catch (error) {
        throw this.connection.translate(error);
      }
    }
    return { rejected: SqliteCheckpointStore.rejected(checkpoints, places, changes) };
  }

  collectFlushes(): void {
    this.writer?.collect();
  }

  async close(): Promise<void> {
    await this.writer?.close();
    if (this.connection.db.open) this.connection.db.close();
  }
}

function rowsOf(batch: JournalBatch, checkpoints: readonly CheckpointWrite[]): number {
  return (
    batch.runs.length +
    batch.ledger.length +
    batch.efforts.length +
    batch.parked.length +
    (batch.replaced?.length ?? 0) +
    (batch.replayed?.length ?? 0) +
    (batch.refailed?.length ?? 0) +
    checkpoints.length
  );
}

/** The event id of each run in a batch, by run id. */
function eventIdsOf(batch: JournalBatch): Map<string, string> {
  const ids = new Map<string, string>();
  for (const run of batch.runs) ids.set(run.id, run.eventId);
  for (const run of batch.ledger) ids.set(run.id, run.eventId);
  return ids;
}

/**
 * Opens (creating it and its directory if needed) and migrates the store. Throws `UsageError` naming the
 * file when it cannot be opened, is not a store, was written by a newer agentctl, or (read-only) does not
 * exist yet.
 */
export async function openSqliteStore(options: SqliteStoreOptions = {}): Promise<SqliteStateStore> {
  const path = options.path ?? DEFAULT_STORE_PATH;
  const memory = path === ':memory:';
  const location = memory ? path : resolve(path);
  const clock = options.clock ?? systemClock;
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  const readonly = options.readonly ?? false;
  const cacheKib = options.pageCacheKib ?? DEFAULT_PAGE_CACHE_KIB;
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new UsageError(`the store busy timeout must be a whole number of ms ≥ 0, not ${busyTimeoutMs}`);
  }
  if (!Number.isInteger(cacheKib) || cacheKib < 1) {
    throw new UsageError(`the store page cache must be a whole number of KiB ≥ 1, not ${cacheKib}`);
  }
  if (!memory && !readonly) createPrivateStore(location);
  const db = openDatabase(location, readonly, busyTimeoutMs);
  const connection = new SqliteConnection(db, clock, location, busyTimeoutMs);
  try {
    db.pragma(`cache_size = -${cacheKib}`);
    await retryWhileBusy(busyTimeoutMs, () => {
      if (readonly) {
        const version = schemaVersion(db);
        if (version === 0) {
          throw new UsageError(`${location} is not an agentctl state store yet (it has no schema)`, {
            hint: 'start an agent on it first, or point --db at the store an agent uses',
          });
        }
        assertNotNewer(version, location);
        assertNotOlder(version, location);
      } else {
        if (!memory) db.pragma('journal_mode = WAL');
        db.pragma('synchronous = NORMAL');
        migrate(db, clock, location);
      }
    });
    const threaded = !memory && !readonly && (options.writerThread ?? true);
    return new SqliteStateStore(
      connection,
      threaded ? new SqliteWriter({ path: location, busyTimeoutMs, cacheKib }) : undefined,
    );
  } catch (error) {
    db.close();
    throw connection.translate(error);
  }
}

/** A new store's directory (0700) and file (0600): events and parked payloads are its owner's alone. */
function createPrivateStore(file: string): void {
  const directory = dirname(file);
  try {
    makePrivateDirectory(directory);
  } catch (error) {
    throw new UsageError(`cannot create the directory ${directory} for the state store ${file}`, {
      cause: error,
      hint: 'create it yourself with write access, or point --db at a writable place',
    });
  }
  try {
    createPrivateFile(file);
  } catch {
    // Opening it says why it cannot be used.
  }
}

function openDatabase(location: string, readonly: boolean, busyTimeoutMs: number): Database.Database {
  try {
    return new Database(location, { readonly, fileMustExist: readonly, timeout: busyTimeoutMs });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageError(`cannot open the state store ${location}: ${reason}`, {
      cause: error,
      hint: readonly
        ? 'check the path (--db / AGENTCTL_DB): a read-only open needs an existing store'
        : 'check that the path (--db / AGENTCTL_DB) is a file you can read and write, in a writable directory',
    });
  }
}
