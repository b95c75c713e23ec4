import { nextTurn } from '../../clock.js';
import type { RunRecord } from '../../model/run-record.js';
import { pooledJsonArray } from '../pooled-utf8.js';
import {
  entryRun,
  LatestLedgerRuns,
  type LedgerBatchRow,
  type LedgerEntryRow,
  latest,
  ledgerBatchRuns,
  ledgerKinds,
} from '../rows/ledger-batch.js';
import { ENTRY_FINISHED } from '../rows/ledger-codec.js';
import type { RunFilter } from '../state-store.js';
import { SqlConditions } from './sql-conditions.js';
import type { SqliteConnection } from './sqlite-connection.js';
import type { WriteBatchBuilder } from './write-batch.js';

/** Batches one prune transaction deletes or rewrites at most: a few thousand runs, milliseconds of lock. */
const PRUNE_BATCHES = 8;

const F = ENTRY_FINISHED;

/**
 * The batch of one (group, process) in a flush, in one statement: the entries come as one JSON array and
 * SQLite counts them, takes their finish-time bounds and writes the row; the trigger of migration 6 then
 * indexes its event ids. A run already in the ledger (written by another process, or by a flush of an
 * earlier batch) is left out — flushes are `BEGIN IMMEDIATE` transactions, so the check sees every other
 * process's commits — and a batch left empty is not written. The check reads each batch that holds one of
 * the events once (`present`), not once per run. Parameters: the entries' JSON as UTF-8 bytes (read as
 * text, see `pooledJsonArray`), the group, the process.
 */
const INSERT = `
  WITH w AS (SELECT value FROM json_each(CAST(? AS TEXT))),
  present (id) AS (
    SELECT r.value->>0 FROM (SELECT DISTINCT e.batch FROM w JOIN run_ledger_events e ON e.event_id = w.value->>1) h
    JOIN run_ledger b ON b.seq = h.batch, json_each(b.runs) r)
  INSERT INTO run_ledger (group_name, process, count, first_finished, last_finished, runs)
  SELECT ?, ?, count(*), min(w.value->>${F}), max(w.value->>${F}), json_group_array(w.value)
  FROM w WHERE w.value->>0 NOT IN present
  HAVING count(*) > 0`;

/**
 * The usual case of `INSERT`, at half its cost: none of the entries' events is in the ledger yet (the
 * event index knows none), so no run can be there either and the entries' JSON text is the batch row as
 * it is — SQLite neither re-serialises every entry nor computes the count and bounds, which the caller
 * passes. When an event is known (a redelivery, a replay, an event id shared by two sources) it inserts
 * nothing and `INSERT` runs instead. The check reads `@events`, the entries' event ids as a JSON list,
 * not the entries (a tenth of the text to parse); `@runs` is the entries' JSON as UTF-8 bytes, stored as
 * the text they are. Named parameters: runs, events, group, process, count, first, last.
 */
const INSERT_NEW = `
  INSERT INTO run_ledger (group_name, process, count, first_finished, last_finished, runs)
  SELECT @group, @process, @count, @first, @last, CAST(@runs AS TEXT)
  WHERE NOT EXISTS (SELECT 1 FROM json_each(@events) w JOIN run_ledger_events e ON e.event_id = w.value)`;

/** Rewrites the batches `where` selects without the runs of `@wanted` (`[[run id, event id]…]`). */
function removal(where: string): string {
  const kept =
    'FROM json_each(run_ledger.runs) r WHERE r.value->>0 NOT IN (SELECT value->>0 FROM json_each(@wanted))';
  return `
    UPDATE run_ledger SET runs = (SELECT json_group_array(r.value) ${kept}), count = (SELECT count(*) ${kept})
    WHERE ${where} AND EXISTS (
      SELECT 1 FROM json_each(run_ledger.runs) r WHERE r.value->>0 IN (SELECT value->>0 FROM json_each(@wanted)))`;
}

const REMOVE_BY_EVENT = removal(
  'seq IN (SELECT e.batch FROM json_each(@wanted) w JOIN run_ledger_events e ON e.event_id = w.value->>1)',
);
const REMOVE_BY_SCAN = removal('1');

/**
 * The ledger (plain successes, see `JournalBatch.ledger`) since schema 6: one row per batch — the runs of
 * one group and process that one flush wrote — holding its runs as a JSON array of `LedgerEntry`, with
 * their count and finish-time bounds in columns. Measured on the `local` bench before: a row per run (its
 * table row, an event-index entry, a finish-time index entry) was most of the writer thread's work and
 * its JSON was built on the agent's thread per run; a batch row is one B-tree insert, and the per-run cost
 * left is one narrow entry in `run_ledger_events` (event id, batch), written by a trigger on the writer's
 * connection. Event ids rather than run ids key that index: run ids are digests (random order; inserting
 * them rewrites a random page per run), while most producers number events in order (see schema 4).
 *
 * A run is found through its event id (`run_ledger_events`), then among its batch's entries by run id;
 * without the event id the ledger is scanned. The bounds of a batch are bounds, not always tight: a run
 * removed from a batch (a rerun) leaves them as they were. Prune is exact per run: a batch wholly older
 * than the cut is deleted; one that straddles it is rewritten without its older runs (its seq kept).
 */
export class SqliteRunLedger {
  constructor(private readonly connection: SqliteConnection) {}

  /**
   * Adds plain successes to a batch: one row per (group, process); a run already stored is kept. Each
   * kind is written by `INSERT_NEW`, or by `INSERT` when that one wrote nothing.
   */
  addInserts(batch: WriteBatchBuilder, runs: readonly RunRecord[]): void {
    for (const { group, process, entries } of ledgerKinds(runs)) {
      const runs = pooledJsonArray(entries);
      const eventIds: string[] = new Array(entries.length);
      let first = Number.POSITIVE_INFINITY;
      let last = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < entries.length; i++) {
        const entry = entries[i]!;
        eventIds[i] = entry[1];
        const finished = entry[F] as number;
        if (finished < first) first = finished;
        if (finished > last) last = finished;
      }
      const events = JSON.stringify(eventIds);
      const fresh = batch.add(INSERT_NEW, {
        runs,
        events,
        group,
        process,
        count: entries.length,
        first,
        last,
      });
      batch.add(INSERT, [runs, group, process], fresh);
    }
  }

  /** Adds the removal of runs (executed again on purpose); `eventIds` has the event id of those it knows. */
  addRemovals(batch: WriteBatchBuilder, ids: readonly string[], eventIds: ReadonlyMap<string, string>): void {
    const known = ids.filter((id) => eventIds.has(id)).map((id) => [id, eventIds.get(id)]);
    if (known.length > 0) batch.add(REMOVE_BY_EVENT, { wanted: JSON.stringify(known) });
    const unknown = ids.filter((id) => !eventIds.has(id)).map((id) => [id, null]);
    if (unknown.length > 0) batch.add(REMOVE_BY_SCAN, { wanted: JSON.stringify(unknown) });
  }

  /** The ledger run with this id (inside a `call`); `eventId` finds it through the index. */
  get(id: string, eventId?: string): RunRecord | undefined {
    const row = (
      eventId === undefined
        ? this.connection
            .statement(
              `SELECT b.group_name, b.process, r.value AS entry FROM run_ledger b, json_each(b.runs) r
               WHERE r.value->>0 = ? LIMIT 1`,
            )
            .get(id)
        : this.connection
            .statement(
              `SELECT b.group_name, b.process, r.value AS entry
               FROM run_ledger_events e JOIN run_ledger b ON b.seq = e.batch, json_each(b.runs) r
               WHERE e.event_id = ? AND r.value->>0 = ? LIMIT 1`,
            )
            .get(eventId, id)
    ) as LedgerEntryRow | undefined;
    return row === undefined ? undefined : entryRun(row);
  }

  /**
   * Ledger runs matching a filter (state aside), the last finished first (inside a `call`). By event id
   * through the index; else batches are read newest last-finish first until no unread batch can hold a
   * run among the `limit` latest.
   */
  list(filter: RunFilter): RunRecord[] {
    const conditions = new SqlConditions()
      .when('group', filter.group, 'b.group_name = @group')
      .when('process', filter.process, 'b.process = @process');
    const { params } = conditions;
    const where = conditions.conditions.map((c) => ` AND ${c}`).join('');
    if (filter.eventId !== undefined) {
      params.eventId = filter.eventId;
      const sql = `SELECT b.group_name, b.process, r.value AS entry
        FROM run_ledger_events e JOIN run_ledger b ON b.seq = e.batch, json_each(b.runs) r
        WHERE e.event_id = @eventId AND r.value->>1 = @eventId${where}`;
      return latest(
        (this.connection.statement(sql).all(params) as LedgerEntryRow[]).map(entryRun),
        filter.limit,
      );
    }
    const sql = `SELECT b.* FROM run_ledger b WHERE 1${where} ORDER BY b.last_finished DESC, b.seq DESC`;
    const found = new LatestLedgerRuns(filter.limit);
    for (const batch of this.connection.statement(sql).iterate(params) as IterableIterator<LedgerBatchRow>)
      if (!found.add(batch)) break;
    return found.runs();
  }

  /** Ledger runs by process, of one group or all (inside a `call`). */
  counts(group: string | undefined): { process: string; count: number }[] {
    return this.connection
      .statement(
        `SELECT process, sum(count) AS count FROM run_ledger
         WHERE @group IS NULL OR group_name = @group GROUP BY process`,
      )
      .all({ group: group ?? null }) as { process: string; count: number }[];
  }

  /**
   * Deletes (or with `dryRun` counts) ledger runs that finished before `before`, exactly per run: batches
   * wholly before the cut go, batches across it are rewritten without their older runs. A few batches
   * per transaction, yielding between, so agents sharing the file wait milliseconds for the lock.
   */
  async prune(before: number, dryRun: boolean): Promise<number> {
    const c = this.connection;
    const partial = `first_finished < @before AND last_finished >= @before`;
    if (dryRun) {
      const sql = `SELECT (SELECT coalesce(sum(count), 0) FROM run_ledger WHERE last_finished < @before)
        + (SELECT count(*) FROM run_ledger b, json_each(b.runs) r WHERE ${partial.replace(/(\w+_finished)/g, 'b.$1')}
           AND r.value->>${F} < @before)`;
      return c.call(() => c.statement(sql).pluck().get({ before }) as number);
    }
    const whole = c.statement(
      `DELETE FROM run_ledger WHERE seq IN (
         SELECT seq FROM run_ledger WHERE last_finished < @before LIMIT ${PRUNE_BATCHES}) RETURNING count`,
    );
    const straddling = c.statement(
      `SELECT seq, count FROM run_ledger WHERE ${partial} LIMIT ${PRUNE_BATCHES}`,
    );
    // The new first finish is at or after the cut, so a rewritten batch is not selected again.
    const rewrite = c.statement(
      `UPDATE run_ledger SET
         runs = (SELECT json_group_array(r.value) FROM json_each(runs) r WHERE r.value->>${F} >= @before),
         count = (SELECT count(*) FROM json_each(runs) r WHERE r.value->>${F} >= @before),
         first_finished = coalesce(
           (SELECT min(r.value->>${F}) FROM json_each(runs) r WHERE r.value->>${F} >= @before), @before)
       WHERE seq = @seq RETURNING count`,
    );
    const steps = [
      () => {
        const counts = whole.pluck().all({ before }) as number[];
        return { found: counts.length, removed: counts.reduce((a, b) => a + b, 0) };
      },
      () => {
        const rows = straddling.all({ before }) as { seq: number; count: number }[];
        let removed = 0;
        for (const { seq, count } of rows)
          removed += count - ((rewrite.pluck().get({ before, seq }) as number | undefined) ?? 0);
        return { found: rows.length, removed };
      },
    ];
    let total = 0;
    for (const step of steps) {
      for (;;) {
        const { found, removed } = await c.call(() => c.immediate(step));
        total += removed;
        if (found === 0) break;
        await nextTurn();
      }
    }
    return total;
  }

  /** Every ledger run in the order written: batches by seq, keyset paging over them. */
  iterate(pageSize: number): AsyncIterable<RunRecord> {
    const sql = 'SELECT * FROM run_ledger WHERE seq > ? ORDER BY seq LIMIT ?';
    return ledgerBatchRuns(
      (after, batches) =>
        this.connection.call(() => this.connection.statement(sql).all(after, batches) as LedgerBatchRow[]),
      pageSize,
    );
  }
}
