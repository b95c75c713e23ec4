import { NotFoundError } from '../../errors/not-found-error.js';
import type { Bytes } from '../../types.js';
import { failedPageLists, failedPages } from '../failed-pages.js';
import type { JournalBatch } from '../journal.js';
import { DEFAULT_PAGE_SIZE } from '../page-size.js';
import type {
  FailedEdit,
  FailedFilter,
  FailedMessage,
  FailedStatus,
  FailureAttempt,
  NewFailedMessage,
  ReplayableMessage,
} from '../records.js';
import {
  type FailedRow,
  parkingAttempt,
  REPLAYABLE_COLUMNS,
  toFailedMessage,
  toReplayable,
} from '../rows/failed-row.js';
import type { FailedStore } from '../state-store.js';
import { base64, jsonParam, NOW_MS, type PgConnection, type PgStatement } from './pg-connection.js';
import { failedWhere } from './pg-failed-where.js';

/** A parked message as it travels in the flush's JSON parameter (absent fields are SQL NULL). */
interface ParkRow {
  i: number;
  key: string;
  group_name: string;
  source: string;
  partition: string;
  position: string;
  reason: string;
  kind: string;
  error: string;
  error_name?: string;
  rule?: string;
  process?: string;
  run_id?: string;
  sink?: string;
  sink_ref?: string;
  record_key?: string;
  headers?: Readonly<Record<string, string>>;
  event_id?: string;
  event_type?: string;
  attempts: number;
  raw: string;
  timestamp: number;
  first_failed_at: number;
  last_failed_at: number;
  history: FailureAttempt[];
}

export class PgFailedStore implements FailedStore {
  /** `ILIKE` under this collation when the server has ICU, so case folds by Unicode rules everywhere. */
  private readonly searchCollation: string;

  constructor(
    private readonly connection: PgConnection,
    icu: boolean,
  ) {
    this.searchCollation = icu ? ' COLLATE "und-x-icu"' : '';
  }

  /**
   * The common table expression that parks messages given as a JSON parameter. Parking is an upsert on
   * the deduplication key: a redelivered message that fails again updates its item (its attempts added,
   * its failures appended to the history in SQL without reading it back, error, cause and last failure
   * time updated, status back to pending) instead of adding a second one. The first failure time, the
   * payload and the coordinates stay those of the first parking. Ids follow the input order.
   */
  cte(param: string): string {
    return `
      parked_w AS (
        INSERT INTO ${this.connection.table('failed_messages')} AS f (
          key, group_name, source, partition, position, reason, kind, error, error_name, rule, process,
          run_id, sink, record_key, headers, event_id, event_type, attempts, raw, timestamp, status,
          first_failed_at, last_failed_at, history, sink_ref)
        SELECT key, group_name, source, partition, position, reason, kind, error, error_name, rule, process,
          run_id, sink, record_key, headers, event_id, event_type, attempts, decode(raw, 'base64'),
          timestamp::bigint, 'pending', first_failed_at::bigint, last_failed_at::bigint, history, sink_ref
        FROM json_to_recordset(${param}::json) AS p(
          i int, key text, group_name text, source text, partition text, position text, reason text,
          kind text, error text, error_name text, rule text, process text, run_id text, sink text,
          record_key text, headers json, event_id text, event_type text, attempts integer, raw text,
          timestamp float8, first_failed_at float8, last_failed_at float8, history jsonb, sink_ref text)
        ORDER BY i
        ON CONFLICT (key) DO UPDATE SET
          attempts = f.attempts + excluded.attempts,
          history = f.history || excluded.history,
          last_failed_at = excluded.last_failed_at,
          status = 'pending',
          reason = excluded.reason,
          error = excluded.error,
          error_name = excluded.error_name,
          rule = excluded.rule,
          process = excluded.process,
          run_id = excluded.run_id)`;
  }

  /**
   * The JSON parameter of `cte`. One statement may not update a row twice, so messages with the same key
   * in one batch are merged first, exactly as parking them one after the other would leave the item.
   */
  static param(messages: readonly NewFailedMessage[]): string {
    const byKey = new Map<string, ParkRow>();
    for (const m of messages) {
      const attempt = parkingAttempt(m);
      const seen = byKey.get(m.key);
      if (seen !== undefined) {
        seen.attempts += m.attempts;
        seen.history.push(attempt);
        seen.last_failed_at = m.failedAt;
        seen.reason = m.reason;
        seen.error = m.error;
        seen.error_name = m.errorName;
        seen.rule = m.rule;
        seen.process = m.process;
        seen.run_id = m.runId;
        continue;
      }
      byKey.set(m.key, {
        i: byKey.size,
        key: m.key,
        group_name: m.group,
        source: m.source,
        partition: m.partition,
        position: m.position,
        reason: m.reason,
        kind: m.kind,
        error: m.error,
        error_name: m.errorName,
        rule: m.rule,
        process: m.process,
        run_id: m.runId,
        sink: m.sink,
        sink_ref: m.sinkRef,
        record_key: m.recordKey,
        headers: m.headers,
        event_id: m.eventId,
        event_type: m.eventType,
        attempts: m.attempts,
        raw: base64(m.raw),
        timestamp: m.timestamp,
        first_failed_at: m.failedAt,
        last_failed_at: m.failedAt,
        history: [attempt],
      });
    }
    return jsonParam([...byKey.values()]);
  }

  async list(filter: FailedFilter = {}): Promise<FailedMessage[]> {
    return (await this.select('*', filter)).map(toFailedMessage);
  }

  /** `columns` (all of them, or some) of the items matching the filter, in id order. */
  private select(columns: string, filter: FailedFilter): Promise<FailedRow[]> {
    const where = this.where(filter);
    const limit = filter.limit === undefined ? '' : ` LIMIT $${where.params.push(filter.limit)}`;
    return this.connection.query<FailedRow>(
      `SELECT ${columns} FROM ${this.connection.table('failed_messages')}${where.sql} ORDER BY id${limit}`,
      where.params,
    );
  }

  async get(id: number): Promise<FailedMessage | undefined> {
    const [row] = await this.connection.query<FailedRow>(
      `SELECT * FROM ${this.connection.table('failed_messages')} WHERE id = $1`,
      [id],
    );
    return row === undefined ? undefined : toFailedMessage(row);
  }

  /** Counts the items matching the filter; `limit` does not apply. */
  async count(filter: FailedFilter = {}): Promise<number> {
    const where = this.where(filter);
    const [row] = await this.connection.query<{ n: number }>(
      `SELECT count(*) AS n FROM ${this.connection.table('failed_messages')}${where.sql}`,
      where.params,
    );
    return row?.n ?? 0;
  }

  async countByReason(group?: string): Promise<Record<string, number>> {
    const rows = await this.connection.query<{ reason: string; n: number }>(
      `SELECT reason, count(*) AS n FROM ${this.connection.table('failed_messages')}
       WHERE status = 'pending' AND ($1::text IS NULL OR group_name = $1)
       GROUP BY reason ORDER BY reason`,
      [group ?? null],
    );
    return Object.fromEntries(rows.map((row) => [row.reason, row.n]));
  }

  /**
   * Counts only items whose status actually changed. Marking an item `replayed` stamps `replayedAt` with
   * the database clock's now.
   */
  private get setStatusSql(): string {
    return `UPDATE ${this.connection.table('failed_messages')}
       SET status = $1, replayed_at = CASE WHEN $1 = 'replayed' THEN ${NOW_MS} ELSE replayed_at END
       WHERE id = ANY($2::bigint[]) AND status <> $1`;
  }

  async setStatus(ids: readonly number[], status: FailedStatus): Promise<number> {
    if (ids.length === 0) return 0;
    const result = await this.connection.run(this.setStatusSql, [status, ids]);
    return result.rowCount ?? 0;
  }

  /**
   * The statements that write a replay's outcomes (see `JournalBatch`): items replayed are marked
   * `replayed`, items that failed again gain their attempts (one statement for all of them; an id that
   * is gone is passed over, as a batch on SQLite does). None when the batch has no outcomes.
   */
  replayOutcomes(batch: JournalBatch): PgStatement[] {
    const statements: PgStatement[] = [];
    if (batch.replayed !== undefined && batch.replayed.length > 0) {
      statements.push({ text: this.setStatusSql, values: ['replayed', batch.replayed] });
    }
    if (batch.refailed !== undefined && batch.refailed.length > 0) {
      const byId = new Map<
        number,
        { id: number; n: number; history: FailureAttempt[]; at: number; error: string }
      >();
      for (const { id, attempt } of batch.refailed) {
        const row = byId.get(id) ?? { id, n: 0, history: [], at: 0, error: '' };
        row.n += 1;
        row.history.push(attempt);
        row.at = Math.round(attempt.at);
        row.error = attempt.error;
        byId.set(id, row);
      }
      statements.push({
        text: `UPDATE ${this.connection.table('failed_messages')} AS f
               SET attempts = f.attempts + r.n, history = f.history || r.history, last_failed_at = r.at,
                   error = r.error
               FROM json_to_recordset($1::json) AS r(id bigint, n integer, history jsonb, at bigint, error text)
               WHERE f.id = r.id`,
        values: [jsonParam([...byId.values()])],
      });
    }
    return statements;
  }

  /** Throws `NotFoundError` when there is no item with this id. The status is left as it is. */
  async recordFailure(id: number, attempt: FailureAttempt): Promise<void> {
    const result = await this.connection.run(
      `UPDATE ${this.connection.table('failed_messages')}
       SET attempts = attempts + 1, history = history || jsonb_build_array($2::jsonb),
           last_failed_at = $3, error = $4
       WHERE id = $1`,
      [id, jsonParam(attempt), Math.round(attempt.at), attempt.error],
    );
    if (result.rowCount === 0) throw new NotFoundError(`no failed message with id ${id}`);
  }

  async markRedriven(id: number, entry: FailureAttempt): Promise<boolean> {
    const result = await this.connection.run(
      `UPDATE ${this.connection.table('failed_messages')}
       SET status = 'replayed', replayed_at = ${NOW_MS}, history = history || jsonb_build_array($2::jsonb)
       WHERE id = $1 AND status = 'pending'`,
      [id, jsonParam(entry)],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async edit(id: number, expected: Bytes, edit: FailedEdit): Promise<boolean> {
    const result = await this.connection.run(
      `UPDATE ${this.connection.table('failed_messages')}
       SET raw = decode($3, 'base64'), event_id = coalesce($4, event_id),
           event_type = coalesce($5, event_type), history = history || jsonb_build_array($6::jsonb)
       WHERE id = $1 AND status = 'pending' AND raw = decode($2, 'base64')`,
      [
        id,
        base64(expected),
        base64(edit.raw),
        edit.eventId ?? null,
        edit.eventType ?? null,
        jsonParam(edit.entry),
      ],
    );
    return (result.rowCount ?? 0) > 0;
  }

  prune(before: number, dryRun = false): Promise<number> {
    return this.connection.prune(
      'failed_messages',
      "status IN ('replayed', 'discarded') AND coalesce(replayed_at, last_failed_at) < $1",
      [before],
      dryRun,
    );
  }

  /** See `failedPages`: keyset paging by id, `limit` caps the total. */
  iterate(filter: FailedFilter = {}, pageSize = DEFAULT_PAGE_SIZE): AsyncIterable<FailedMessage> {
    return failedPages((page) => this.list(page), filter, pageSize);
  }

  iterateReplayable(
    filter: FailedFilter = {},
    pageSize = DEFAULT_PAGE_SIZE,
  ): AsyncIterable<ReplayableMessage> {
    return failedPages((page) => this.listReplayable(page), filter, pageSize);
  }

  replayablePages(
    filter: FailedFilter = {},
    pageSize = DEFAULT_PAGE_SIZE,
  ): AsyncIterable<ReplayableMessage[]> {
    return failedPageLists((page) => this.listReplayable(page), filter, pageSize);
  }

  private async listReplayable(filter: FailedFilter): Promise<ReplayableMessage[]> {
    return (await this.select(REPLAYABLE_COLUMNS, filter)).map((row) =>
      toReplayable([
        row.id,
        row.key,
        row.source,
        row.partition,
        row.position,
        row.reason,
        row.kind,
        row.run_id,
        row.sink,
        row.sink_ref,
        row.record_key,
        row.headers,
        row.raw,
        row.timestamp,
      ]),
    );
  }

  private where(filter: FailedFilter): { sql: string; params: unknown[] } {
    return failedWhere(filter, this.searchCollation, `${this.connection.table('payload_text')}(raw)`);
  }
}
