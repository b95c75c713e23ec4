import type { RunRecord, RunState } from '../../model/run-record.js';
import { assertPageSize, DEFAULT_PAGE_SIZE } from '../page-size.js';
import { type RunRow, toRun } from '../rows/run-row.js';
import type { RunCount, RunFilter, RunForm, RunStore } from '../state-store.js';
import { jsonList, jsonOrNull } from './row-values.js';
import { SqlConditions } from './sql-conditions.js';
import type { SqliteConnection, Statement } from './sqlite-connection.js';
import { SqliteRunLedger } from './sqlite-run-ledger.js';
import { WriteBatchBuilder } from './write-batch.js';

/** A `runs` row as better-sqlite3 gives it: `fatal` is INTEGER 0/1 (SQLite has no boolean). */
type SqliteRunRow = Omit<RunRow, 'fatal'> & { fatal: number | null };

/**
 * One row per run, the steps as JSON: a run costs one statement however many steps it has. A run that
 * succeeded is never overwritten by a later, unfinished state (a late or duplicate report).
 */
const UPSERT = `
  INSERT INTO runs (
    id, group_name, event_id, event_type, rule, process, state, current_step, attempts, steps, created_at,
    started_at, finished_at, error, fatal, runner, worker, origin_source, origin_partition, origin_position,
    output, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (id) DO UPDATE SET
    group_name = excluded.group_name, event_id = excluded.event_id, event_type = excluded.event_type,
    rule = excluded.rule, process = excluded.process, state = excluded.state,
    current_step = excluded.current_step, attempts = excluded.attempts, steps = excluded.steps,
    created_at = excluded.created_at, started_at = excluded.started_at, finished_at = excluded.finished_at,
    error = excluded.error, fatal = excluded.fatal, runner = excluded.runner, worker = excluded.worker,
    origin_source = excluded.origin_source, origin_partition = excluded.origin_partition,
    origin_position = excluded.origin_position, output = excluded.output, updated_at = excluded.updated_at
  WHERE NOT (runs.state = 'succeeded' AND excluded.state <> 'succeeded')`;

/**
 * Runs in full (`runs`, one row per run) and in the ledger (`SqliteRunLedger`: plain successes, one row
 * per flushed batch). `lookup` asks both in one statement.
 */
export class SqliteRunStore implements RunStore {
  private readonly lookupStates: Statement;
  private readonly lookupStatesByEvent: Statement;
  private readonly ledger: SqliteRunLedger;

  constructor(private readonly connection: SqliteConnection) {
    this.ledger = new SqliteRunLedger(connection);
    this.lookupStates = connection
      .statement(
        `WITH wanted (id) AS (SELECT value FROM json_each(?))
         SELECT id, state FROM runs WHERE id IN wanted
         UNION ALL SELECT r.value->>0, 'succeeded' FROM run_ledger b, json_each(b.runs) r
         WHERE r.value->>0 IN wanted`,
      )
      .raw();
    // Run ids and event ids come as two flat JSON lists, not as pairs: extracting `value->>0` and
    // `value->>1` from a pair per run was most of this query's cost when nothing is found (the usual case).
    this.lookupStatesByEvent = connection
      .statement(
        `WITH wanted (id) AS (SELECT value FROM json_each(?)),
         hit (batch) AS (SELECT DISTINCT e.batch FROM json_each(?) w JOIN run_ledger_events e ON e.event_id = w.value)
         SELECT id, state FROM runs WHERE id IN wanted
         UNION ALL SELECT r.value->>0, 'succeeded' FROM hit JOIN run_ledger b ON b.seq = hit.batch,
         json_each(b.runs) r WHERE r.value->>0 IN wanted`,
      )
      .raw();
  }

  /**
   * Adds the removal of runs' records, full and ledger, to a batch (runs executed again on purpose).
   * `eventIds` gives the event id of each run id it knows (the ledger is found by them; see above).
   */
  addRemovals(
    batch: WriteBatchBuilder,
    ids: readonly string[] | undefined,
    eventIds: ReadonlyMap<string, string> = new Map(),
  ): void {
    if (ids === undefined || ids.length === 0) return;
    batch.add('DELETE FROM runs WHERE id IN (SELECT value FROM json_each(?))', [jsonList(ids)]);
    this.ledger.addRemovals(batch, ids, eventIds);
  }

  /** Adds plain successes, in compact form (one row per group and process), to a batch. */
  addLedger(batch: WriteBatchBuilder, runs: readonly RunRecord[]): void {
    this.ledger.addInserts(batch, runs);
  }

  /** Adds full run upserts to a batch. A run that exists is replaced (last write wins), in place. */
  addRuns(batch: WriteBatchBuilder, runs: readonly RunRecord[]): void {
    for (const run of runs) {
      batch.add(UPSERT, [
        run.id,
        run.group,
        run.eventId,
        run.eventType,
        run.rule,
        run.process,
        run.state,
        run.currentStep ?? null,
        run.attempts,
        JSON.stringify(run.steps),
        run.createdAt,
        run.startedAt ?? null,
        run.finishedAt ?? null,
        run.error ?? null,
        run.fatal === undefined ? null : run.fatal ? 1 : 0,
        run.runner,
        run.worker ?? null,
        run.origin?.source ?? null,
        run.origin?.partition ?? null,
        run.origin?.position ?? null,
        jsonOrNull(run.output),
        run.updatedAt,
      ]);
    }
  }

  /**
   * One query whatever the number of ids: they travel as one JSON array parameter, so SQLite's limit on
   * bound variables never applies and no chunking is needed. With `eventIds` (the event id of each run,
   * in the order of `ids`) the ledger is searched through its event index; without, it is scanned.
   */
  lookup(ids: readonly string[], eventIds?: readonly string[]): Promise<Map<string, RunState>> {
    return this.connection.call(() => {
      const states = new Map<string, RunState>();
      if (ids.length === 0) return states;
      const rows = (
        eventIds === undefined
          ? this.lookupStates.all(jsonList(ids))
          : this.lookupStatesByEvent.all(jsonList(ids), jsonList(eventIds))
      ) as [string, RunState][];
      for (const [id, state] of rows) if (states.get(id) !== 'succeeded') states.set(id, state);
      return states;
    });
  }

  /** The run with this id; `eventId` (its event's id) finds a ledger run without a scan. */
  get(id: string, eventId?: string): Promise<RunRecord | undefined> {
    return this.connection.call(() => {
      const row = this.connection.statement('SELECT * FROM runs WHERE id = ?').get(id) as
        | SqliteRunRow
        | undefined;
      if (row !== undefined) return toSqliteRun(row);
      return this.ledger.get(id, eventId);
    });
  }

  list(filter: RunFilter = {}): Promise<RunRecord[]> {
    return this.connection.call(() => {
      const where = new SqlConditions()
        .when('group', filter.group, 'group_name = @group')
        .when('state', filter.state, 'state = @state')
        .when('process', filter.process, 'process = @process')
        .when('eventId', filter.eventId, 'event_id = @eventId');
      const params = { ...where.params, ...(filter.limit === undefined ? {} : { limit: filter.limit }) };
      const sql =
        'SELECT * FROM runs' +
        where.where +
        ' ORDER BY updated_at DESC, id DESC' +
        (filter.limit === undefined ? '' : ' LIMIT @limit');
      const full = (this.connection.statement(sql).all(params) as SqliteRunRow[]).map(toSqliteRun);
      if (filter.state !== undefined && filter.state !== 'succeeded') return full;
      const ledger = this.ledger.list(filter);
      const merged = [...full, ...ledger].sort((a, b) => b.updatedAt - a.updatedAt || (a.id < b.id ? 1 : -1));
      return filter.limit === undefined ? merged : merged.slice(0, filter.limit);
    });
  }

  countByState(group?: string): Promise<RunCount[]> {
    return this.connection.call(() => {
      const rows = this.connection
        .statement(
          `SELECT process, state, count(*) AS count FROM runs
           WHERE @group IS NULL OR group_name = @group
           GROUP BY process, state ORDER BY process, state`,
        )
        .all({ group: group ?? null }) as RunCount[];
      const ledger = this.ledger.counts(group);
      const counts = new Map<string, RunCount>();
      for (const row of rows)
        counts.set(`${row.process}\0${row.state}`, {
          process: row.process,
          state: row.state,
          count: row.count,
        });
      for (const row of ledger) {
        const key = `${row.process}\0succeeded`;
        const count = (counts.get(key)?.count ?? 0) + row.count;
        counts.set(key, { process: row.process, state: 'succeeded', count });
      }
      return [...counts.values()].sort((a, b) =>
        a.process === b.process ? (a.state < b.state ? -1 : 1) : a.process < b.process ? -1 : 1,
      );
    });
  }

  upsert(runs: readonly RunRecord[]): Promise<void> {
    return this.connection.call(() => {
      const batch = new WriteBatchBuilder();
      this.addRuns(batch, runs);
      this.connection.immediate(() => this.connection.apply(batch.build()));
    });
  }

  async prune(before: number, dryRun = false): Promise<number> {
    const finished = "state IN ('succeeded', 'failed') AND updated_at < @before";
    const full = await this.connection.prune('runs', finished, { before }, dryRun);
    return full + (await this.ledger.prune(before, dryRun));
  }

  /** Full runs in id order; ledger runs in the order they were written (batches by `seq`). */
  async *iterate(form: RunForm, pageSize = DEFAULT_PAGE_SIZE): AsyncIterable<RunRecord> {
    assertPageSize(pageSize);
    if (form === 'full') {
      const sql = 'SELECT * FROM runs WHERE id > ? ORDER BY id LIMIT ?';
      let after = '';
      for (;;) {
        const rows = await this.connection.call(
          () => this.connection.statement(sql).all(after, pageSize) as SqliteRunRow[],
        );
        for (const row of rows) yield toSqliteRun(row);
        if (rows.length < pageSize) return;
        after = rows.at(-1)!.id;
      }
    }
    yield* this.ledger.iterate(pageSize);
  }
}

/** The run of a row, its `fatal` read as a boolean first (the shape `toRun` takes). */
function toSqliteRun(row: SqliteRunRow): RunRecord {
  return toRun({ ...row, fatal: row.fatal === null ? null : row.fatal === 1 });
}
