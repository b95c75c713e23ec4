import type { RunRecord, RunState } from '../../processes/run-record.js';
import { assertPageSize, DEFAULT_PAGE_SIZE } from '../page-size.js';
import { fromLedger, type LedgerRow, toLedgerData } from '../rows/ledger-codec.js';
import { type RunRow, toRun } from '../rows/run-row.js';
import type { RunCount, RunFilter, RunForm, RunStore } from '../state-store.js';
import { jsonList, jsonOrNull } from './row-values.js';
import type { SqliteConnection, Statement } from './sqlite-connection.js';
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
 * The whole batch's ledger rows travel as one JSON array of `[id, group, process, data, finished]` and SQLite
 * unpacks it (`json_each`): one statement per flush instead of one per run, and no per-run parameter
 * rows to build on the agent's thread or to copy to the writer thread. `->>` gives an array's JSON text.
 * (`WHERE true` keeps SQLite's parser from reading `ON CONFLICT` as part of the SELECT's join.)
 */
const LEDGER_INSERT = `
  INSERT INTO run_ledger (id, group_name, process, data, finished_at)
  SELECT value->>0, value->>1, value->>2, value->>3, value->>4 FROM json_each(?) WHERE true
  ON CONFLICT (id) DO NOTHING`;

export class SqliteRunStore implements RunStore {
  private readonly lookupStates: Statement;

  constructor(private readonly connection: SqliteConnection) {
    this.lookupStates = connection
      .statement(
        `WITH wanted (id) AS (SELECT value FROM json_each(?))
         SELECT id, state FROM runs WHERE id IN wanted
         UNION ALL SELECT id, 'succeeded' FROM run_ledger WHERE id IN wanted`,
      )
      .raw();
  }

  /** Adds the removal of runs' records, full and ledger, to a batch (runs executed again on purpose). */
  addRemovals(batch: WriteBatchBuilder, ids: readonly string[] | undefined): void {
    if (ids === undefined || ids.length === 0) return;
    const list = jsonList(ids);
    batch.add('DELETE FROM runs WHERE id IN (SELECT value FROM json_each(?))', [list]);
    batch.add('DELETE FROM run_ledger WHERE id IN (SELECT value FROM json_each(?))', [list]);
  }

  /** Adds plain successes, in compact form, to a batch; an id already in the ledger is kept. */
  addLedger(batch: WriteBatchBuilder, runs: readonly RunRecord[]): void {
    if (runs.length === 0) return;
    const rows: unknown[] = new Array(runs.length);
    for (let i = 0; i < runs.length; i++) {
      const run = runs[i]!;
      rows[i] = [run.id, run.group, run.process, toLedgerData(run), run.finishedAt ?? run.updatedAt];
    }
    batch.add(LEDGER_INSERT, [JSON.stringify(rows)]);
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
   * bound variables never applies and no chunking is needed.
   */
  lookup(ids: readonly string[]): Promise<Map<string, RunState>> {
    return this.connection.call(() => {
      const states = new Map<string, RunState>();
      if (ids.length === 0) return states;
      for (const [id, state] of this.lookupStates.all(jsonList(ids)) as [string, RunState][]) {
        if (states.get(id) !== 'succeeded') states.set(id, state);
      }
      return states;
    });
  }

  get(id: string): Promise<RunRecord | undefined> {
    return this.connection.call(() => {
      const row = this.connection.statement('SELECT * FROM runs WHERE id = ?').get(id) as
        | SqliteRunRow
        | undefined;
      if (row !== undefined) return toSqliteRun(row);
      const entry = this.connection
        .statement('SELECT id, group_name, process, data FROM run_ledger WHERE id = ?')
        .get(id) as LedgerRow | undefined;
      return entry === undefined ? undefined : fromLedger(entry);
    });
  }

  list(filter: RunFilter = {}): Promise<RunRecord[]> {
    return this.connection.call(() => {
      const conditions: string[] = [];
      const params: Record<string, unknown> = {};
      if (filter.group !== undefined) {
        conditions.push('group_name = @group');
        params.group = filter.group;
      }
      if (filter.state !== undefined) {
        conditions.push('state = @state');
        params.state = filter.state;
      }
      if (filter.process !== undefined) {
        conditions.push('process = @process');
        params.process = filter.process;
      }
      if (filter.eventId !== undefined) {
        conditions.push('event_id = @eventId');
        params.eventId = filter.eventId;
      }
      if (filter.limit !== undefined) params.limit = filter.limit;
      const sql =
        'SELECT * FROM runs' +
        (conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`) +
        ' ORDER BY updated_at DESC, id DESC' +
        (filter.limit === undefined ? '' : ' LIMIT @limit');
      const full = (this.connection.statement(sql).all(params) as SqliteRunRow[]).map(toSqliteRun);
      if (filter.state !== undefined && filter.state !== 'succeeded') return full;
      const ledger = this.listLedger(filter);
      const merged = [...full, ...ledger].sort((a, b) => b.updatedAt - a.updatedAt || (a.id < b.id ? 1 : -1));
      return filter.limit === undefined ? merged : merged.slice(0, filter.limit);
    });
  }

  /** Ledger runs matching a filter, the last finished first. */
  private listLedger(filter: RunFilter): RunRecord[] {
    const conditions: string[] = [];
    const params: Record<string, unknown> = {};
    if (filter.group !== undefined) {
      conditions.push('group_name = @group');
      params.group = filter.group;
    }
    if (filter.process !== undefined) {
      conditions.push('process = @process');
      params.process = filter.process;
    }
    if (filter.eventId !== undefined) {
      conditions.push("json_extract(data, '$[0]') = @eventId");
      params.eventId = filter.eventId;
    }
    if (filter.limit !== undefined) params.limit = filter.limit;
    const sql =
      'SELECT id, group_name, process, data FROM run_ledger' +
      (conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`) +
      ' ORDER BY finished_at DESC, id DESC' +
      (filter.limit === undefined ? '' : ' LIMIT @limit');
    return (this.connection.statement(sql).all(params) as LedgerRow[]).map(fromLedger);
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
      const ledger = this.connection
        .statement(
          `SELECT process, count(*) AS count FROM run_ledger WHERE @group IS NULL OR group_name = @group GROUP BY process`,
        )
        .all({ group: group ?? null }) as { process: string; count: number }[];
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
    const ledger = await this.connection.prune('run_ledger', 'finished_at < @before', { before }, dryRun);
    return full + ledger;
  }

  async *iterate(form: RunForm, pageSize = DEFAULT_PAGE_SIZE): AsyncIterable<RunRecord> {
    assertPageSize(pageSize);
    const sql =
      form === 'full'
        ? 'SELECT * FROM runs WHERE id > ? ORDER BY id LIMIT ?'
        : 'SELECT id, group_name, process, data FROM run_ledger WHERE id > ? ORDER BY id LIMIT ?';
    let after = '';
    for (;;) {
      const rows = await this.connection.call(
        () => this.connection.statement(sql).all(after, pageSize) as (SqliteRunRow | LedgerRow)[],
      );
      for (const row of rows)
        yield form === 'full' ? toSqliteRun(row as SqliteRunRow) : fromLedger(row as LedgerRow);
      if (rows.length < pageSize) return;
      after = rows.at(-1)!.id;
    }
  }
}

/** The run of a row, its `fatal` read as a boolean first (the shape `toRun` takes). */
function toSqliteRun(row: SqliteRunRow): RunRecord {
  return toRun({ ...row, fatal: row.fatal === null ? null : row.fatal === 1 });
}
