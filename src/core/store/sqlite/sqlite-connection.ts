import { setTimeout as delay } from 'node:timers/promises';
import type Database from 'better-sqlite3';
import { type Clock, nextTurn } from '../../clock.js';
import { TimeoutError } from '../../errors/timeout-error.js';
import { UsageError } from '../../errors/usage-error.js';
import { applyWriteBatch, type WriteBatch } from './write-batch.js';

// biome-ignore lint/suspicious/noExplicitAny: statements are cached untyped; each store types its rows.
export type Statement = Database.Statement<any[], any>;

/** Rows one prune transaction deletes at most (see `SqliteConnection.prune`). */
export const PRUNE_CHUNK = 5_000;

/**
 * The open database shared by the sub-stores: the handle, the store clock, a cache of prepared statements
 * and the mapping of driver errors to engine errors. better-sqlite3 is synchronous; `call` turns a
 * synchronous body into the promise the port returns, so that a failure is a rejection, never a throw.
 */
export class SqliteConnection {
  private readonly statements = new Map<string, Statement>();

  constructor(
    readonly db: Database.Database,
    readonly clock: Clock,
    readonly location: string,
    readonly busyTimeoutMs: number,
  ) {}

  /** The prepared statement for `sql`, prepared once per connection. */
  statement(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** Applies a write batch on this connection, inside the caller's transaction. */
  apply(batch: WriteBatch): number[][] {
    return applyWriteBatch((sql) => this.statement(sql), batch);
  }

  /** Runs `body` now and returns its result as a promise; driver errors become engine errors. */
  call<T>(body: () => T): Promise<T> {
    try {
      return Promise.resolve(body());
    } catch (error) {
      return Promise.reject(this.translate(error));
    }
  }

  /** Runs `body` in a `BEGIN IMMEDIATE` transaction (takes the write lock first, so it never upgrades). */
  immediate<T>(body: () => T): T {
    return this.db.transaction(body).immediate();
  }

  /**
   * Counts (`dryRun`) or deletes the rows of `table` that `where` selects. Deletes run in one short write
   * transaction per `PRUNE_CHUNK` rows (picked by `key`, the table's primary key: a column, or a
   * parenthesised list of columns for a composite key), yielding between
   * chunks, so the agents sharing the file wait milliseconds for the write lock, not the length of the
   * whole prune.
   */
  async prune(
    table: string,
    where: string,
    params: Readonly<Record<string, unknown>>,
    dryRun: boolean,
    key = 'id',
  ): Promise<number> {
    if (dryRun) {
      const count = this.statement(`SELECT count(*) FROM ${table} WHERE ${where}`).pluck();
      return this.call(() => (count.get(params) as number) ?? 0);
    }
    const remove = this.statement(
      `DELETE FROM ${table} WHERE ${key} IN (SELECT ${key.replace(/[()]/g, '')} FROM ${table} WHERE ${where} LIMIT ${PRUNE_CHUNK})`,
    );
    let total = 0;
    for (;;) {
      const changes = await this.call(() => this.immediate(() => remove.run(params).changes));
      total += changes;
      if (changes < PRUNE_CHUNK) return total;
      await nextTurn();
    }
  }

  /**
   * The engine error for a driver error: a busy store is a retriable `TimeoutError`; a file that is not a
   * database, or a write to a read-only store, is a `UsageError` naming the file. Others pass through.
   */
  translate(error: unknown): unknown {
    // Errors from the writer thread arrive as plain errors carrying the driver's code.
    const code = driverCode(error);
    if (!(error instanceof Error) || code === undefined) return error;
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
      return new TimeoutError(
        `the state store ${this.location} is busy: another process held its lock for more than ${this.busyTimeoutMs} ms`,
        {
          cause: error,
          hint: 'try again; if it persists, look for a process holding the store or raise the busy timeout',
        },
      );
    }
    if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
      return new UsageError(
        `${this.location} is not an agentctl state store (not a readable SQLite database)`,
        {
          cause: error,
          hint: 'point --db at another file, or move this one away to start a fresh store',
        },
      );
    }
    if (code.startsWith('SQLITE_READONLY')) {
      return new UsageError(`the state store ${this.location} is read-only: ${error.message}`, {
        cause: error,
        hint: 'open it without readonly, and check that the file and its directory are writable',
      });
    }
    return error;
  }
}

/**
 * Runs idempotent `steps` (a store's open: the journal-mode switch and the migrations), and again after a
 * short jittered pause while SQLite answers busy, until `timeoutMs` has passed. SQLite does not consult
 * the busy handler for every lock an open takes (a journal-mode switch racing another process's switch of
 * a fresh file fails busy at once), so processes opening one fresh file together would otherwise fail at
 * random instead of queueing.
 */
export async function retryWhileBusy(timeoutMs: number, steps: () => void): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (let pauseMs = 5; ; pauseMs = Math.min(pauseMs * 2, 200)) {
    try {
      steps();
      return;
    } catch (error) {
      if (!driverCode(error)?.startsWith('SQLITE_BUSY') || performance.now() >= deadline) throw error;
    }
    await delay(pauseMs / 2 + Math.random() * (pauseMs / 2));
  }
}

/** The SQLite result code a driver error carries (`SQLITE_…`), also on errors relayed from the writer thread. */
function driverCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE') ? code : undefined;
}
