import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { UsageError } from '../errors/usage-error.js';

/** A result waiting in the outbox. */
export interface OutboxEntry {
  readonly runId: string;
  readonly body: Buffer;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS results (
    run_id TEXT PRIMARY KEY,
    endpoint TEXT NOT NULL,
    body BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    published_at INTEGER
  );
  CREATE INDEX IF NOT EXISTS results_unpublished ON results (created_at) WHERE published_at IS NULL;`;

/**
 * The worker's own small SQLite file (WAL): every finished run's result is written here before its task
 * is acked, and deleted only long after the broker confirmed it. So a result survives a broker outage
 * and a worker crash, and a task redelivered after either is recognised (by run id) and acked without
 * running again. Synchronous, as better-sqlite3 is: one short statement per call.
 */
export class ResultOutbox {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement<[string, string, Buffer, number]>;
  private readonly lookup: Database.Statement<[string], { published_at: number | null }>;
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
    } catch (error) {
      throw new UsageError(`cannot open the worker outbox ${path}: ${(error as Error).message}`, {
        cause: error,
        hint: 'give another file with --outbox, or check the directory permissions',
      });
    }
    this.insert = this.db.prepare(
      'INSERT INTO results (run_id, endpoint, body, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (run_id) DO NOTHING',
    );
    this.lookup = this.db.prepare('SELECT published_at FROM results WHERE run_id = ?');
    this.unpublished = this.db.prepare(
      'SELECT run_id, body FROM results WHERE published_at IS NULL ORDER BY created_at LIMIT ?',
    );
    this.publish = this.db.prepare('UPDATE results SET published_at = ? WHERE run_id = ?');
    this.unpublishedCount = this.db
      .prepare('SELECT count(*) FROM results WHERE published_at IS NULL')
      .pluck();
    this.forget = this.db.prepare('DELETE FROM results WHERE published_at IS NOT NULL AND published_at < ?');
  }

  /** Whether a result for this run is kept (published or not). */
  has(runId: string): boolean {
    return this.lookup.get(runId) !== undefined;
  }

  /** Keeps a result; a second result for the same run is ignored (the first one stands). */
  add(runId: string, body: Buffer, now: number): void {
    this.insert.run(runId, this.endpoint, body, now);
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
