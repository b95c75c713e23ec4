import type { Effort } from '../../model/effort.js';
import { assertPageSize, DEFAULT_PAGE_SIZE } from '../page-size.js';
import { type EffortRow, toEffort } from '../rows/effort-row.js';
import type { EffortFilter, EffortStore } from '../state-store.js';
import { jsonParam, type PgConnection } from './pg-connection.js';

/** One row per effort, its attempts as JSON; a rewrite replaces the row (last write wins). */
export class PgEffortStore implements EffortStore {
  constructor(private readonly connection: PgConnection) {}

  /** The common table expression that upserts efforts given as a JSON parameter. */
  cte(param: string): string {
    return `
      efforts_w AS (
        INSERT INTO ${this.connection.table('efforts')} (
          id, sink, record_id, run_id, created_at, attempts, retries, initial_attempt, final_attempt,
          history, culmination, next_attempt_at, last_error, updated_at)
        SELECT id, sink, record_id, run_id, created_at::bigint, attempts, retries, initial_attempt,
          final_attempt, history, culmination, next_attempt_at::bigint, last_error, updated_at::bigint
        FROM json_to_recordset(${param}::json) AS e(
          id text, sink text, record_id text, run_id text, created_at float8, attempts integer,
          retries integer, initial_attempt json, final_attempt json, history json, culmination text,
          next_attempt_at float8, last_error text, updated_at float8)
        ON CONFLICT (id) DO UPDATE SET
          sink = excluded.sink, record_id = excluded.record_id, run_id = excluded.run_id,
          created_at = excluded.created_at, attempts = excluded.attempts, retries = excluded.retries,
          initial_attempt = excluded.initial_attempt, final_attempt = excluded.final_attempt,
          history = excluded.history, culmination = excluded.culmination,
          next_attempt_at = excluded.next_attempt_at, last_error = excluded.last_error,
          updated_at = excluded.updated_at)`;
  }

  /** The JSON parameter of `cte`; of several versions of one effort, the last is written. */
  static param(efforts: readonly Effort[]): string {
    const byId = new Map<string, Effort>();
    for (const effort of efforts) byId.set(effort.id, effort);
    // In id order: concurrent flushes that share efforts then lock their rows in one order.
    const ordered = [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return jsonParam(
      ordered.map((effort) => ({
        id: effort.id,
        sink: effort.sink,
        record_id: effort.recordId,
        run_id: effort.runId,
        created_at: effort.createdAt,
        attempts: effort.attempts,
        retries: effort.retries,
        initial_attempt: effort.initialAttempt,
        final_attempt: effort.finalAttempt,
        history: effort.history,
        culmination: effort.culmination,
        next_attempt_at: effort.nextAttemptAt,
        last_error: effort.lastError,
        updated_at: effort.updatedAt,
      })),
    );
  }

  async list(filter: EffortFilter = {}): Promise<Effort[]> {
    const params: unknown[] = [];
    const param = (value: unknown) => `$${params.push(value)}`;
    const conditions: string[] = [];
    if (filter.culmination !== undefined) conditions.push(`culmination = ${param(filter.culmination)}`);
    if (filter.runId !== undefined) conditions.push(`run_id = ${param(filter.runId)}`);
    const sql =
      `SELECT * FROM ${this.connection.table('efforts')}` +
      (conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`) +
      ' ORDER BY updated_at DESC, id DESC' +
      (filter.limit === undefined ? '' : ` LIMIT ${param(filter.limit)}`);
    return (await this.connection.query<EffortRow>(sql, params)).map(toEffort);
  }

  async get(id: string): Promise<Effort | undefined> {
    const [row] = await this.connection.query<EffortRow>(
      `SELECT * FROM ${this.connection.table('efforts')} WHERE id = $1`,
      [id],
    );
    return row === undefined ? undefined : toEffort(row);
  }

  prune(before: number, dryRun = false): Promise<number> {
    return this.connection.prune('efforts', "culmination <> 'pending' AND updated_at < $1", [before], dryRun);
  }

  async *iterate(pageSize = DEFAULT_PAGE_SIZE): AsyncIterable<Effort> {
    assertPageSize(pageSize);
    let after: string | null = null;
    for (;;) {
      const rows: EffortRow[] = await this.connection.query<EffortRow>(
        `SELECT * FROM ${this.connection.table('efforts')}
         WHERE $1::text IS NULL OR id > $1 ORDER BY id LIMIT $2`,
        [after, pageSize],
      );
      yield* rows.map(toEffort);
      if (rows.length < pageSize) return;
      after = rows.at(-1)!.id;
    }
  }
}
