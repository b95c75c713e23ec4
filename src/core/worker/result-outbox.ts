import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { UsageError } from '../errors/usage-error.js';

/** A result waiting in the outbox. */
export interface OutboxEntry {
  readonly runId: string;
  readonly body: Buffer;
}

/** A finished run's result, as the worker keeps it. */
export interface KeptResult {
  readonly runId: string;
  /** `succeeded` or `failed`. */
  readonly state: string;
  /** The dispatch of the run the result answers (`dispatchOf(task)`). */
  readonly dispatch: string;
  readonly body: Buffer;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS outbox (
    run_id TEXT PRIMARY KEY,
    endpoint TEXT NOT NULL,
    state TEXT NOT NULL,
    dispatch TEXT NOT NULL,
    body BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    published_at INTEGER
  );
  CREATE INDEX IF NOT EXISTS outbox_unpublished ON outbox (created_at) WHERE published_at IS NULL;`;

/**
 * The table of the first outbox files (one row per run id, no state, no dispatch) is moved into `outbox`:
 * the state is read from the result, the dispatch is unknown ('' matches no task).
 */
const FROM_RESULTS = `
  INSERT OR IGNORE INTO outbox (run_id, endpoint, state, dispatch, body, created_at, published_at)
    SELECT run_id, endpoint, coalesce(json_extract(CAST(body AS TEXT), '$.run.state'), 'failed'), '', body,
           created_at, published_at
    FROM results;
  DROP TABLE results;`;

/**
 * The worker's own small SQLite file (WAL): every finished run's result is written here before its task
 * is acked, and deleted only long after the broker confirmed it. So a result survives a broker outage
 * and a worker crash, and a task of a run finished here is recognised (by run id) and answered with the
 * kept result instead of running again — unless the kept result is a failure and the task is a new
 * dispatch (its event was re-read): then the run runs again and its new result replaces the failure.
 * Synchronous, as better-sqlite3 is: one short statement per call.
 */
export class ResultOutbox {
  private readonly db: Database.Database;
  private readonly upsert: Database.Statement<[string, string, string, string, Buffer, number]>;
  private readonly lookup: Database.Statement<[string], { state: string; dispatch: string; body: Buffer }>;
  private readonly again: Database.Statement<[string]>;
  private readonly unpublished: Database.Statement<[number], { run_id: string; body: Buffer }>;
  private readonly publish: Database.Statement<[number, string]>;
  private readonly unpublishedCount: Database.Statement<[]>;
  private readonly forget: Database.Statement<[number]>;

  constructor(
    readonly path: string,
    private readonly endpoint: string,
  ) {
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      this.db = new Database(path);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('busy_timeout = 5000');
      this.db.exec(SCHEMA);
      const legacy = this.db
        .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'results'")
        .get();
      if (legacy !== undefined) this.db.transaction(() => this.db.exec(FROM_RESULTS))();
    } catch (error) {
      throw new UsageError(`cannot open the worker outbox ${path}: ${(error as Error).message}`, {
        cause: error,
        hint: 'give another file with --outbox, or check the directory permissions',
      });
    }
    this.upsert = this.db.prepare(
      `INSERT INTO outbox (run_id, endpoint, state, dispatch, body, created_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (run_id) DO UPDATE SET state = excluded.state, dispatch = excluded.dispatch,
         body = excluded.body, created_at = excluded.created_at, published_at = NULL
       WHERE outbox.state <> 'succeeded'`,
    );
    this.lookup = this.db.prepare('SELECT state, dispatch, body FROM outbox WHERE run_id = ?');
    this.again = this.db.prepare('UPDATE outbox SET published_at = NULL WHERE run_id = ?');
    this.unpublished = this.db.prepare(
      'SELECT run_id, body FROM outbox WHERE published_at IS NULL ORDER BY created_at LIMIT ?',
    );
    this.publish = this.db.prepare('UPDATE outbox SET published_at = ? WHERE run_id = ?');
    this.unpublishedCount = this.db.prepare('SELECT count(*) FROM outbox WHERE published_at IS NULL').pluck();
    this.forget = this.db.prepare('DELETE FROM outbox WHERE published_at IS NOT NULL AND published_at < ?');
  }

  /** The result kept for this run, published or not. */
  find(runId: string): KeptResult | undefined {
    const row = this.lookup.get(runId);
    return row === undefined ? undefined : { runId, ...row };
  }

  /**
   * Keeps a result to publish. A kept success stands (a second result of the run is ignored); a kept
   * failure is replaced (the run ran again for a new dispatch).
   */
  add(result: KeptResult, now: number): void {
    this.upsert.run(result.runId, this.endpoint, result.state, result.dispatch, result.body, now);
  }

  /** Publishes a kept result again (a task of its run came again: its agent may not have it). */
  publishAgain(runId: string): void {
    this.again.run(runId);
  }

  /** The oldest results not yet confirmed by the broker. */
  pending(limit: number): OutboxEntry[] {
    return this.unpublished.all(limit).map((row) => ({ runId: row.run_id, body: row.body }));
  }

  /** Marks results confirmed by the broker (kept a while to recognise redelivered tasks). */
  published(runIds: readonly string[], now: number): void {
    this.db.transaction(() => {
      for (const id of runIds) this.publish.run(now, id);
    })();
  }

  /** Results waiting for the broker. */
  get waiting(): number {
    return this.unpublishedCount.get() as number;
  }

  /** Forgets results published before `before`; returns how many. */
  prune(before: number): number {
    return this.forget.run(before).changes;
  }

  get isOpen(): boolean {
    return this.db.open;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
