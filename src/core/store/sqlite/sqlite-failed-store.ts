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
  FAILED_COLUMNS,
  failedRowOf,
  parkingAttempt,
  REPLAYABLE_COLUMNS,
  toFailedMessage,
  toReplayable,
} from '../rows/failed-row.js';
import type { FailedStore } from '../state-store.js';
import { containsText, SEARCH_FUNCTION, searchPlan } from './failed-search.js';
import { jsonList } from './row-values.js';
import type { SqliteConnection } from './sqlite-connection.js';
import type { WriteBatchBuilder } from './write-batch.js';

/**
 * Parking is an upsert on the deduplication key: a redelivered message that fails again updates its item
 * (its attempts added, the failure appended to the history in SQL without reading it back, error and last
 * failure time updated, status back to pending) instead of adding a second one. The first failure time,
 * the payload and the coordinates stay those of the first parking.
 */
const PARK = `
  INSERT INTO failed_messages (
    key, group_name, source, partition, position, reason, kind, error, error_name, rule, process, run_id,
    sink, record_key, headers, event_id, event_type, attempts, raw, timestamp, status, first_failed_at,
    last_failed_at, history, sink_ref)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?)
  ON CONFLICT (key) DO UPDATE SET
    attempts = attempts + excluded.attempts,
    history = json_insert(history, '$[#]', json(excluded.history -> '$[0]')),
    last_failed_at = excluded.last_failed_at,
    status = 'pending',
    reason = excluded.reason,
    error = excluded.error,
    error_name = excluded.error_name,
    rule = excluded.rule,
    process = excluded.process,
    run_id = excluded.run_id`;

const SET_STATUS = `
  UPDATE failed_messages
  SET status = @status,
      replayed_at = CASE WHEN @status = 'replayed' THEN @now ELSE replayed_at END
  WHERE id IN (SELECT value FROM json_each(@ids)) AND status <> @status`;

const RECORD_FAILURE = `
  UPDATE failed_messages
  SET attempts = attempts + 1,
      history = json_insert(history, '$[#]', json(@attempt)),
      last_failed_at = @at,
      error = @error
  WHERE id = @id`;

const MARK_REDRIVEN = `
  UPDATE failed_messages
  SET status = 'replayed',
      replayed_at = @now,
      history = json_insert(history, '$[#]', json(@entry))
  WHERE id = @id AND status = 'pending'`;

const EDIT = `
  UPDATE failed_messages
  SET raw = @raw,
      event_id = coalesce(@eventId, event_id),
      event_type = coalesce(@eventType, event_type),
      history = json_insert(history, '$[#]', json(@entry))
  WHERE id = @id AND status = 'pending' AND raw = @expected`;

export class SqliteFailedStore implements FailedStore {
  constructor(private readonly connection: SqliteConnection) {
    connection.db.function(SEARCH_FUNCTION, { deterministic: true, varargs: true }, containsText);
  }

  /** Adds parked messages to a batch (an existing key is updated: attempts, history, error, cause). */
  addParked(batch: WriteBatchBuilder, messages: readonly NewFailedMessage[]): void {
    for (const m of messages) {
      batch.add(PARK, [
        m.key,
        m.group,
        m.source,
        m.partition,
        m.position,
        m.reason,
        m.kind,
        m.error,
        m.errorName ?? null,
        m.rule ?? null,
        m.process ?? null,
        m.runId ?? null,
        m.sink ?? null,
        m.recordKey ?? null,
        m.headers === undefined ? null : JSON.stringify(m.headers),
        m.eventId ?? null,
        m.eventType ?? null,
        m.attempts,
        m.raw,
        m.timestamp,
        m.failedAt,
        m.failedAt,
        JSON.stringify([parkingAttempt(m)]),
        m.sinkRef ?? null,
      ]);
    }
  }

  list(filter: FailedFilter = {}): Promise<FailedMessage[]> {
    return this.select(FAILED_COLUMNS, filter, (values) => toFailedMessage(failedRowOf(values)));
  }

  get(id: number): Promise<FailedMessage | undefined> {
    return this.connection.call(() => {
      const row = this.connection
        .statement(`SELECT ${FAILED_COLUMNS} FROM failed_messages WHERE id = ?`)
        .raw()
        .get(id) as unknown[] | undefined;
      return row === undefined ? undefined : toFailedMessage(failedRowOf(row));
    });
  }

  /** Counts the items matching the filter; `limit` does not apply. */
  count(filter: FailedFilter = {}): Promise<number> {
    return this.connection.call(() => {
      const where = whereOf(filter);
      const row = this.connection
        .statement(`SELECT count(*) AS n FROM ${where.from}${where.sql}`)
        .get(where.params) as { n: number };
      return row.n;
    });
  }

  countByReason(group?: string): Promise<Record<string, number>> {
    return this.connection.call(() => {
      const rows = this.connection
        .statement(
          `SELECT reason, count(*) AS n FROM failed_messages
           WHERE status = 'pending'${group === undefined ? '' : ' AND group_name = @group'}
           GROUP BY reason ORDER BY reason`,
        )
        .all(group === undefined ? {} : { group }) as { reason: string; n: number }[];
      return Object.fromEntries(rows.map((row) => [row.reason, row.n]));
    });
  }

  /** Adds the replay outcomes of a journal batch (items replayed, items that failed again) to a batch. */
  addReplayOutcomes(batch: WriteBatchBuilder, journal: JournalBatch): void {
    const now = this.connection.clock.now();
    if (journal.replayed !== undefined && journal.replayed.length > 0) {
      batch.add(SET_STATUS, { status: 'replayed', now, ids: jsonList(journal.replayed) });
    }
    for (const { id, attempt } of journal.refailed ?? []) {
      batch.add(RECORD_FAILURE, {
        id,
        attempt: JSON.stringify(attempt),
        at: attempt.at,
        error: attempt.error,
      });
    }
  }

  /**
   * Counts only items whose status actually changed. Marking an item `replayed` stamps `replayedAt` with
   * the store clock's now.
   */
  setStatus(ids: readonly number[], status: FailedStatus): Promise<number> {
    return this.connection.call(() => {
      if (ids.length === 0) return 0;
      const result = this.connection
        .statement(SET_STATUS)
        .run({ status, now: this.connection.clock.now(), ids: jsonList(ids) });
      return result.changes;
    });
  }

  /** Throws `NotFoundError` when there is no item with this id. The status is left as it is. */
  recordFailure(id: number, attempt: FailureAttempt): Promise<void> {
    return this.connection.call(() => {
      const result = this.connection
        .statement(RECORD_FAILURE)
        .run({ id, attempt: JSON.stringify(attempt), at: attempt.at, error: attempt.error });
      if (result.changes === 0) throw new NotFoundError(`no failed message with id ${id}`);
    });
  }

  markRedriven(id: number, entry: FailureAttempt): Promise<boolean> {
    return this.connection.call(
      () =>
        this.connection
          .statement(MARK_REDRIVEN)
          .run({ id, entry: JSON.stringify(entry), now: this.connection.clock.now() }).changes > 0,
    );
  }

  edit(id: number, expected: Bytes, edit: FailedEdit): Promise<boolean> {
    return this.connection.call(() => {
      const result = this.connection.statement(EDIT).run({
        id,
        expected: bufferOf(expected),
        raw: bufferOf(edit.raw),
        eventId: edit.eventId ?? null,
        eventType: edit.eventType ?? null,
        entry: JSON.stringify(edit.entry),
      });
      return result.changes > 0;
    });
  }

  prune(before: number, dryRun = false): Promise<number> {
    const settled = "status IN ('replayed', 'discarded') AND coalesce(replayed_at, last_failed_at) < @before";
    return this.connection.prune('failed_messages', settled, { before }, dryRun);
  }

  /** See `failedPages`: keyset paging by id, `limit` caps the total. */
  iterate(filter: FailedFilter = {}, pageSize = DEFAULT_PAGE_SIZE): AsyncIterable<FailedMessage> {
    return failedPages((page) => this.list(page), filter, pageSize);
  }

  iterateReplayable(
    filter: FailedFilter = {},
    pageSize = DEFAULT_PAGE_SIZE,
  ): AsyncIterable<ReplayableMessage> {
    return failedPages((page) => this.select(REPLAYABLE_COLUMNS, page, toReplayable), filter, pageSize);
  }

  replayablePages(
    filter: FailedFilter = {},
    pageSize = DEFAULT_PAGE_SIZE,
  ): AsyncIterable<ReplayableMessage[]> {
    return failedPageLists((page) => this.select(REPLAYABLE_COLUMNS, page, toReplayable), filter, pageSize);
  }

  /** `columns` of the items matching the filter, in id order, each row's values made into a `T`. */
  private select<T>(columns: string, filter: FailedFilter, toItem: (values: unknown[]) => T): Promise<T[]> {
    return this.connection.call(() => {
      const query = selectQuery(filter, columns);
      const rows = this.connection.statement(query.sql).raw().all(query.params) as unknown[][];
      return rows.map(toItem);
    });
  }
}

/**
 * The SELECT (and its parameters) that `list` runs for a filter, or with other `columns` the pages of
 * `iterateReplayable`: exported so that a test can ask SQLite how it plans the very statement.
 */
export function selectQuery(
  filter: FailedFilter,
  columns: string = FAILED_COLUMNS,
): { readonly sql: string; readonly params: Record<string, unknown> } {
  const where = whereOf(filter);
  const limit = filter.limit === undefined ? '' : ' LIMIT @limit';
  return {
    sql: `SELECT ${columns} FROM ${where.from}${where.sql} ORDER BY ${where.order}${limit}`,
    params: { ...where.params, ...(filter.limit === undefined ? {} : { limit: filter.limit }) },
  };
}

interface Where {
  /** The tables: the items, led by the search index when the search uses it. */
  readonly from: string;
  readonly sql: string;
  readonly params: Record<string, unknown>;
  /** The id order, spelled so that SQLite follows the leading table's order (no sort). */
  readonly order: string;
}

/**
 * The FROM and WHERE clauses of a filter. Each filter shape yields one SQL text, so statements cache
 * well. A search that uses the index (see `searchPlan`) walks the index's matches in id order and joins
 * each to its item (`CROSS JOIN` keeps that order): a page of a search that matches a million items
 * reads a page of them, and keyset paging (`afterId`) starts where the last page ended, in the index.
 */
function whereOf(filter: FailedFilter): Where {
  const conditions: string[] = [];
  const params: Record<string, unknown> = {};
  const plan = filter.search ? searchPlan(filter.search) : undefined;
  const indexed = plan?.kind === 'index';
  const id = indexed ? 'failed_search.rowid' : 'id';
  if (plan?.kind === 'index') {
    conditions.push('failed_search MATCH @search');
    params.search = plan.match;
  } else if (plan?.kind === 'scan') {
    conditions.push(`${SEARCH_FUNCTION}(@search, error, event_type, event_id, raw)`);
    params.search = plan.needle;
  }
  const status = filter.status ?? 'pending';
  if (status === 'pending') {
    // Spelled out: SQLite uses an index `WHERE status = 'pending'` only for a query that says so in its
    // text, not through a parameter (the group indexes hold pending items only, see migration 5).
    conditions.push("status = 'pending'");
  } else if (status !== 'any') {
    conditions.push('status = @status');
    params.status = status;
  }
  if (filter.group !== undefined) {
    conditions.push('group_name = @group');
    params.group = filter.group;
  }
  if (filter.reason !== undefined) {
    conditions.push('reason = @reason');
    params.reason = filter.reason;
  }
  if (filter.rule !== undefined) {
    conditions.push('rule = @rule');
    params.rule = filter.rule;
  }
  if (filter.since !== undefined) {
    conditions.push('last_failed_at >= @since');
    params.since = filter.since;
  }
  if (filter.ids !== undefined) {
    conditions.push('id IN (SELECT value FROM json_each(@ids))');
    params.ids = jsonList(filter.ids);
  }
  if (filter.afterId !== undefined) {
    conditions.push(`${id} > @afterId`);
    params.afterId = filter.afterId;
  }
  return {
    from: indexed
      ? 'failed_search CROSS JOIN failed_messages ON failed_messages.id = failed_search.rowid'
      : 'failed_messages',
    sql: conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`,
    params,
    order: id,
  };
}

/** The bytes as a Buffer over the same memory (better-sqlite3 binds Buffers as BLOBs). */
function bufferOf(bytes: Bytes): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
