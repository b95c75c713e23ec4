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
import { failedRowOf, parkingAttempt, toFailedMessage, toReplayable } from '../rows/failed-row.js';
import type { FailedStore } from '../state-store.js';
import { containsText, SEARCH_FUNCTION } from './failed-search.js';
import { jsonList } from './row-values.js';
import type { SqliteConnection } from './sqlite-connection.js';
import {
  ITEM_COLUMNS,
  PAYLOAD_COLUMN,
  REPLAYABLE_ITEM_COLUMNS,
  selectQuery,
  whereOf,
} from './sqlite-failed-where.js';
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
    sink, record_key, headers, event_id, event_type, attempts, timestamp, status, first_failed_at,
    last_failed_at, history, sink_ref)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?)
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

/**
 * The payload of an item just parked, in `failed_payloads` (schema 11), after `PARK`: a new item gets
 * it; an item parked again keeps the payload of its first parking.
 */
const PARK_PAYLOAD = `
  INSERT INTO failed_payloads (id, raw) SELECT id, ? FROM failed_messages WHERE key = ?
  ON CONFLICT (id) DO NOTHING`;

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

/** `failed edit`'s change of the item, when it is pending and its payload the one expected; then `EDIT_PAYLOAD`. */
const EDIT = `
  UPDATE failed_messages
  SET event_id = coalesce(@eventId, event_id),
      event_type = coalesce(@eventType, event_type),
      history = json_insert(history, '$[#]', json(@entry))
  WHERE id = @id AND status = 'pending' AND ${PAYLOAD_COLUMN} = @expected`;
const EDIT_PAYLOAD = 'UPDATE failed_payloads SET raw = @raw WHERE id = @id';

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
        m.timestamp,
        m.failedAt,
        m.failedAt,
        JSON.stringify([parkingAttempt(m)]),
        m.sinkRef ?? null,
      ]);
      batch.add(PARK_PAYLOAD, [m.raw, m.key]);
    }
  }

  list(filter: FailedFilter = {}): Promise<FailedMessage[]> {
    return this.select(ITEM_COLUMNS, filter, (values) => toFailedMessage(failedRowOf(values)));
  }

  get(id: number): Promise<FailedMessage | undefined> {
    return this.connection.call(() => {
      const row = this.connection
        .statement(`SELECT ${ITEM_COLUMNS} FROM failed_messages WHERE id = ?`)
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
    return this.connection.call(() =>
      this.connection.immediate(() => {
        const result = this.connection.statement(EDIT).run({
          id,
          expected: bufferOf(expected),
          eventId: edit.eventId ?? null,
          eventType: edit.eventType ?? null,
          entry: JSON.stringify(edit.entry),
        });
        if (result.changes === 0) return false;
        this.connection.statement(EDIT_PAYLOAD).run({ id, raw: bufferOf(edit.raw) });
        return true;
      }),
    );
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
    return failedPages((page) => this.select(REPLAYABLE_ITEM_COLUMNS, page, toReplayable), filter, pageSize);
  }

  replayablePages(
    filter: FailedFilter = {},
    pageSize = DEFAULT_PAGE_SIZE,
  ): AsyncIterable<ReplayableMessage[]> {
    return failedPageLists(
      (page) => this.select(REPLAYABLE_ITEM_COLUMNS, page, toReplayable),
      filter,
      pageSize,
    );
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

/** The bytes as a Buffer over the same memory (better-sqlite3 binds Buffers as BLOBs). */
function bufferOf(bytes: Bytes): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
