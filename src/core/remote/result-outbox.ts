import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { UsageError } from '../errors/usage-error.js';
import { createPrivateFile, makePrivateDirectory } from '../private-files.js';

/** A result waiting in the outbox. */
export interface OutboxEntry {
  /** The agent (consumer group) whose run it is: run ids are only unique within a group. */
  readonly group: string;
  readonly runId: string;
  /** Routing key on the `results` exchange: the agent's results queue. */
  readonly routing: string;
  readonly body: Buffer;
}

/** A finished run's result, as the worker keeps it. */
export interface KeptResult extends OutboxEntry {
  /** `succeeded` or `failed`. */
  readonly state: string;
  /** The dispatch of the run the result answers (`dispatchOf(task)`). */
  readonly dispatch: string;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS outbox (
    grp TEXT NOT NULL,
    run_id TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    routing TEXT NOT NULL,
    state TEXT NOT NULL,
    dispatch TEXT NOT NULL,
    body BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    published_at INTEGER,
    PRIMARY KEY (grp, run_id)
  );
  CREATE INDEX IF NOT EXISTS outbox_unpublished ON outbox (created_at) WHERE published_at IS NULL;`;

/**
 * The table of the first outbox files (one row per run id) is moved into `outbox`: group and state are
 * read from the result, results go where they went (`<endpoint>.results`), the dispatch is unknown ('').
 */
const FROM_RESULTS = `
  INSERT OR IGNORE INTO outbox (grp, run_id, endpoint, routing, state, dispatch, body, created_at, published_at)
    SELECT coalesce(json_extract(CAST(body AS TEXT), '$.run.group'), ''), run_id, endpoint,
           endpoint || '.results', coalesce(json_extract(CAST(body AS TEXT), '$.run.state'), 'failed'), '',
           body, created_at, published_at
    FROM results;
  DROP TABLE results;`;

/**
 * The worker's own small SQLite file (WAL): every finished run's result is written here before its task
 * is acked, and deleted only long after the broker confirmed it. So a result survives a broker outage
 * and a worker crash, and a task of a run finished here is recognised (by group and run id) and answered with the
 * kept result instead of running again — unless the kept result is a failure and the task is a new
 * dispatch (its event was re-read): then the run runs again and its new result replaces the failure.
 * Synchronous, as better-sqlite3 is: one short statement per call.
 */
export class ResultOutbox {
  private readonly db: Database.Database;
  private readonly upsert: Database.Statement<
    [string, string, string, string, string, string, Buffer, number]
  >;
  private readonly lookup: Database.Statement<
    [string, string],
    { state: string; dispatch: string; routing: string; body: Buffer }
  >;
  private readonly again: Database.Statement<[string, string, string]>;
  private readonly unpublished: Database.Statement<
    [number],
    { grp: string; run_id: string; routing: string; body: Buffer }
  >;
  private readonly publish: Database.Statement<[number, string, string]>;
  private readonly unpublishedCount: Database.Statement<[]>;
  private readonly forget: Database.Statement<[number]>;

  constructor(
    readonly path: string,
    private readonly endpoint: string,
  ) {
    try {
      if (path !== ':memory:') {
        // Results hold what processes returned: the owner's alone.
        makePrivateDirectory(dirname(path));
        createPrivateFile(path);
      }
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
      `INSERT INTO outbox (grp, run_id, endpoint, routing, state, dispatch, body, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (grp, run_id) DO UPDATE SET routing = excluded.routing, state = excluded.state,
         dispatch = excluded.dispatch,
         body = excluded.body, created_at = excluded.created_at, published_at = NULL
       WHERE outbox.state <> 'succeeded'`,
    );
    this.lookup = this.db.prepare(
      'SELECT state, dispatch, routing, body FROM outbox WHERE grp = ? AND run_id = ?',
    );
    this.again = this.db.prepare(
      'UPDATE outbox SET published_at = NULL, routing = ? WHERE grp = ? AND run_id = ?',
    );
    this.unpublished = this.db.prepare(
      'SELECT grp, run_id, routing, body FROM outbox WHERE published_at IS NULL ORDER BY created_at LIMIT ?',
    );
    this.publish = this.db.prepare('UPDATE outbox SET published_at = ? WHERE grp = ? AND run_id = ?');
    this.unpublishedCount = this.db.prepare('SELECT count(*) FROM outbox WHERE published_at IS NULL').pluck();
    this.forget = this.db.prepare('DELETE FROM outbox WHERE published_at IS NOT NULL AND published_at < ?');
  }

  /** The result kept for this run, published or not. */
  find(group: string, runId: string): KeptResult | undefined {
    const row = this.lookup.get(group, runId);
    return row === undefined ? undefined : { group, runId, ...row };
  }

  /**
   * Keeps a result to publish. A kept success stands (a second result of the run is ignored); a kept
   * failure is replaced (the run ran again for a new dispatch).
   */
  add(result: KeptResult, now: number): void {
    const { group, runId, routing, state, dispatch, body } = result;
    this.upsert.run(group, runId, this.endpoint, routing, state, dispatch, body, now);
  }

  /** Publishes a kept result again, to `routing` (a task of its run came again: its agent may not have it). */
  publishAgain(group: string, runId: string, routing: string): void {
    this.again.run(routing, group, runId);
  }

  /** The oldest results not yet confirmed by the broker. */
  pending(limit: number): OutboxEntry[] {
    return this.unpublished
      .all(limit)
      .map((row) => ({ group: row.grp, runId: row.run_id, routing: row.routing, body: row.body }));
  }

  /** Marks results confirmed by the broker (kept a while to recognise redelivered tasks). */
  published(entries: readonly Pick<OutboxEntry, 'group' | 'runId'>[], now: number): void {
    this.db.transaction(() => {
      for (const { group, runId } of entries) this.publish.run(now, group, runId);
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
