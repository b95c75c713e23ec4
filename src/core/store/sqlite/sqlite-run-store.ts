import type { RunRecord, RunState } from '../../model/run-record.js';
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
 * The ledger (plain successes, see `JournalBatch.ledger`) is laid out for a write rate of 100,000s of runs
 * a second. Run ids are digests (`runIdOf`): in random order, so a table keyed by them — the layout of
 * schema 1 to 3 — put every run on a random page of a B-tree that soon outgrows the page cache, and each
 * flush rewrote about one page per run (measured: 4.5k runs/s at 200k stored and falling, against 37k/s
 * appending). Since schema 4 rows go in append order (`seq`, the rowid) and are found through an index on
 * their *event id*: most producers number events in order (ULIDs, UUIDv7, sequence numbers, log offsets),
 * so a flush's new index entries land on the last few pages, and for producers whose ids are random the
 * index entry is still much narrower than the row. The key stays time-free and exact: a run is found by
 * (event id, run id), whatever time the event was re-sent with. Measured and not taken: a rowid table
 * with an index on an integer prefix of the run id (its inserts are random again: 12k/s at 600k stored, a
 * page cache of 24 MiB no faster than 4 MiB — the cost is the pages each commit rewrites, not reads).
 * Considered and not taken: a recent table merged into a sorted archive (each merge rewrites every page
 * of the archive index once that index has more pages than the merge has rows; it needs levels, LSM-like).
 * The cost: finding a ledger run by its id alone (no event id) scans the ledger — `lookup` and `get` take
 * the event ids, and every caller on a hot path passes them.
 *
 * The batch's rows travel as one JSON array of `[id, group, process, data, finished, eventId]` and SQLite
 * unpacks it (`json_each`): one statement per flush. A run already in the ledger is kept (flushes are
 * `BEGIN IMMEDIATE` transactions, so the check and the insert see every other process's commits).
 */
const LEDGER_INSERT = `
  INSERT INTO run_ledger (id, group_name, process, data, finished_at, event_id)
  SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5 FROM json_each(?) AS w
  WHERE NOT EXISTS (SELECT 1 FROM run_ledger l WHERE l.event_id = w.value->>5 AND l.id = w.value->>0)`;

/** Ledger rows of `[run id, event id]` pairs given as a JSON array: through the event index. */
const LEDGER_BY_EVENT = `
  SELECT l.seq AS seq FROM json_each(?) AS w
  JOIN run_ledger l ON l.event_id = w.value->>1 AND l.id = w.value->>0`;

export class SqliteRunStore implements RunStore {
  private readonly lookupStates: Statement;
  private readonly lookupStatesByEvent: Statement;

  constructor(private readonly connection: SqliteConnection) {
    this.lookupStates = connection
      .statement(
        `WITH wanted (id) AS (SELECT value FROM json_each(?))
         SELECT id, state FROM runs WHERE id IN wanted
         UNION ALL SELECT id, 'succeeded' FROM run_ledger WHERE id IN wanted`,
      )
      .raw();
    this.lookupStatesByEvent = connection
      .statement(
        `WITH wanted (id, event_id) AS (SELECT value->>0, value->>1 FROM json_each(?))
         SELECT id, state FROM runs WHERE id IN (SELECT id FROM wanted)
         UNION ALL SELECT l.id, 'succeeded' FROM wanted AS w
         JOIN run_ledger l ON l.event_id = w.event_id AND l.id = w.id`,
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
    const known = ids.filter((id) => eventIds.has(id));
    if (known.length > 0)
      batch.add(`DELETE FROM run_ledger WHERE seq IN (${LEDGER_BY_EVENT})`, [
        JSON.stringify(known.map((id) => [id, eventIds.get(id)])),
      ]);
    const unknown = ids.filter((id) => !eventIds.has(id));
    if (unknown.length > 0)
      batch.add('DELETE FROM run_ledger WHERE id IN (SELECT value FROM json_each(?))', [jsonList(unknown)]);
  }

  /** Adds plain successes, in compact form, to a batch; an id already in the ledger is kept. */
  addLedger(batch: WriteBatchBuilder, runs: readonly RunRecord[]): void {
    if (runs.length === 0) return;
    const rows: unknown[] = new Array(runs.length);
    for (let i = 0; i < runs.length; i++) {
      const run = runs[i]!;
      rows[i] = [
        run.id,
        run.group,
        run.process,
        toLedgerData(run),
        run.finishedAt ?? run.updatedAt,
        run.eventId,
      ];
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
          : this.lookupStatesByEvent.all(JSON.stringify(ids.map((id, i) => [id, eventIds[i]])))
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
      const entry = (
        eventId === undefined
          ? this.connection
              .statement('SELECT id, group_name, process, data FROM run_ledger WHERE id = ?')
              .get(id)
          : this.connection
              .statement('SELECT id, group_name, process, data FROM run_ledger WHERE event_id = ? AND id = ?')
              .get(eventId, id)
      ) as LedgerRow | undefined;
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
      conditions.push('event_id = @eventId');
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
    const ledger = await this.connection.prune(
      'run_ledger',
      'finished_at < @before',
      { before },
      dryRun,
      'seq',
    );
    return full + ledger;
  }

  /** Full runs in id order; ledger runs in the order they were written (their `seq`). */
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
    const sql =
      'SELECT seq, id, group_name, process, data FROM run_ledger WHERE seq > ? ORDER BY seq LIMIT ?';
    let after = 0;
    for (;;) {
      const rows = await this.connection.call(
        () => this.connection.statement(sql).all(after, pageSize) as (LedgerRow & { seq: number })[],
      );
      for (const row of rows) yield fromLedger(row);
      if (rows.length < pageSize) return;
      after = rows.at(-1)!.seq;
    }
  }
}

/** The run of a row, its `fatal` read as a boolean first (the shape `toRun` takes). */
function toSqliteRun(row: SqliteRunRow): RunRecord {
  return toRun({ ...row, fatal: row.fatal === null ? null : row.fatal === 1 });
}
