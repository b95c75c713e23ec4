import { UsageError } from '../../errors/usage-error.js';
import type { RunRecord, RunState, StepRecord } from '../../processes/run-record.js';
import type { RunCount, RunFilter, RunForm, RunStore } from '../state-store.js';
import { jsonList, jsonOrNull, type Writable } from './row-values.js';
import type { SqliteConnection, Statement } from './sqlite-connection.js';
import { WriteBatchBuilder } from './write-batch.js';

interface RunRow {
  id: string;
  group_name: string;
  event_id: string;
  event_type: string;
  rule: string;
  process: string;
  state: RunState;
  current_step: string | null;
  attempts: number;
  steps: string;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  error: string | null;
  fatal: number | null;
  runner: string;
  worker: string | null;
  origin_source: string | null;
  origin_partition: string | null;
  origin_position: string | null;
  output: string | null;
  updated_at: number;
}

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
 * A ledger row's `data`: a JSON tuple, cheaper to write and read than a full row. Positions, in order:
 * event id, event type, rule, created, started, finished, runner, worker, origin source, origin
 * partition, origin position, output, then per step: name, started, duration.
 */
type LedgerData = [
  string,
  string,
  string,
  number,
  number,
  number,
  string,
  string | null,
  string | null,
  string | null,
  string | null,
  unknown,
  ...(string | number)[],
];

const LEDGER_INSERT =
  'INSERT INTO run_ledger (id, group_name, process, data) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING';

export class SqliteRunStore implements RunStore {
  private readonly lookupStates: Statement;
  private readonly maxIds: Statement;

  constructor(private readonly connection: SqliteConnection) {
    this.maxIds = connection
      .statement('SELECT (SELECT max(id) FROM runs), (SELECT max(id) FROM run_ledger)')
      .raw();
    this.lookupStates = connection
      .statement(
        `WITH wanted (id) AS (SELECT value FROM json_each(?))
         SELECT id, state FROM runs WHERE id IN wanted
         UNION ALL SELECT id, 'succeeded' FROM run_ledger WHERE id IN wanted`,
      )
      .raw();
  }

  /** Adds plain successes, in compact form, to a batch; an id already in the ledger is kept. */
  addLedger(batch: WriteBatchBuilder, runs: readonly RunRecord[]): void {
    for (const run of runs) {
      const data: (string | number | null | unknown)[] = [
        run.eventId,
        run.eventType,
        run.rule,
        run.createdAt,
        run.startedAt ?? run.createdAt,
        run.finishedAt ?? run.updatedAt,
        run.runner,
        run.worker ?? null,
        run.origin?.source ?? null,
        run.origin?.partition ?? null,
        run.origin?.position ?? null,
        run.output ?? null,
      ];
      for (const step of run.steps) {
        const started = step.startedAt ?? 0;
        data.push(step.name, started, (step.finishedAt ?? started) - started);
      }
      batch.add(LEDGER_INSERT, [run.id, run.group, run.process, JSON.stringify(data)]);
    }
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
   * bound variables never applies and no chunking is needed. Ids above the largest stored id cannot be
   * stored: with time-prefixed run ids that is every run of a fresh stream, so they are answered from two
   * index probes without the query. (Ids are ASCII, so JavaScript and SQLite order them alike.)
   */
  lookup(ids: readonly string[]): Promise<Map<string, RunState>> {
    return this.connection.call(() => {
      const states = new Map<string, RunState>();
      if (ids.length === 0) return states;
      const [runsMax, ledgerMax] = this.maxIds.get() as [string | null, string | null];
      const max =
        runsMax === null ? ledgerMax : ledgerMax === null || runsMax > ledgerMax ? runsMax : ledgerMax;
      if (max === null) return states;
      const candidates = ids.filter((id) => id <= max);
      if (candidates.length === 0) return states;
      for (const [id, state] of this.lookupStates.all(jsonList(candidates)) as [string, RunState][]) {
        if (states.get(id) !== 'succeeded') states.set(id, state);
      }
      return states;
    });
  }

  get(id: string): Promise<RunRecord | undefined> {
    return this.connection.call(() => {
      const row = this.connection.statement('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
      if (row !== undefined) return toRun(row);
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
      const full = (this.connection.statement(sql).all(params) as RunRow[]).map(toRun);
      if (filter.state !== undefined && filter.state !== 'succeeded') return full;
      const ledger = this.listLedger(filter);
      const merged = [...full, ...ledger].sort((a, b) => b.updatedAt - a.updatedAt || (a.id < b.id ? 1 : -1));
      return filter.limit === undefined ? merged : merged.slice(0, filter.limit);
    });
  }

  /** Ledger runs matching a filter, newest ids (event time) first. */
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
      ' ORDER BY id DESC' +
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

  async *iterate(form: RunForm, pageSize = 500): AsyncIterable<RunRecord> {
    if (!Number.isInteger(pageSize) || pageSize < 1) {
      throw new UsageError(`a page size must be a whole number ≥ 1, not ${pageSize}`);
    }
    const sql =
      form === 'full'
        ? 'SELECT * FROM runs WHERE id > ? ORDER BY id LIMIT ?'
        : 'SELECT id, group_name, process, data FROM run_ledger WHERE id > ? ORDER BY id LIMIT ?';
    let after = '';
    for (;;) {
      const rows = await this.connection.call(
        () => this.connection.statement(sql).all(after, pageSize) as (RunRow | LedgerRow)[],
      );
      for (const row of rows) yield form === 'full' ? toRun(row as RunRow) : fromLedger(row as LedgerRow);
      if (rows.length < pageSize) return;
      after = rows.at(-1)!.id;
    }
  }
}

interface LedgerRow {
  id: string;
  group_name: string;
  process: string;
  data: string;
}

function fromLedger(row: LedgerRow): RunRecord {
  const d = JSON.parse(row.data) as LedgerData;
  const steps: StepRecord[] = [];
  for (let i = 12; i + 2 < d.length; i += 3) {
    const startedAt = d[i + 1] as number;
    const durationMs = d[i + 2] as number;
    steps.push({
      name: d[i] as string,
      state: 'succeeded',
      attempts: 1,
      startedAt,
      finishedAt: startedAt + durationMs,
      history: [{ attempt: 1, startedAt, durationMs }],
    });
  }
  const run: Writable<RunRecord> = {
    id: row.id,
    group: row.group_name,
    eventId: d[0],
    eventType: d[1],
    rule: d[2],
    process: row.process,
    state: 'succeeded',
    attempts: steps.length,
    steps,
    createdAt: d[3],
    startedAt: d[4],
    finishedAt: d[5],
    runner: d[6],
    updatedAt: d[5],
  };
  if (d[7] !== null) run.worker = d[7];
  if (d[8] !== null && d[9] !== null && d[10] !== null)
    run.origin = { source: d[8], partition: d[9], position: d[10] };
  if (d[11] !== null) run.output = d[11];
  return run;
}

function toRun(row: RunRow): RunRecord {
  const run: Writable<RunRecord> = {
    id: row.id,
    group: row.group_name,
    eventId: row.event_id,
    eventType: row.event_type,
    rule: row.rule,
    process: row.process,
    state: row.state,
    attempts: row.attempts,
    steps: JSON.parse(row.steps) as StepRecord[],
    createdAt: row.created_at,
    runner: row.runner,
    updatedAt: row.updated_at,
  };
  if (row.current_step !== null) run.currentStep = row.current_step;
  if (row.started_at !== null) run.startedAt = row.started_at;
  if (row.finished_at !== null) run.finishedAt = row.finished_at;
  if (row.error !== null) run.error = row.error;
  if (row.fatal !== null) run.fatal = row.fatal === 1;
  if (row.worker !== null) run.worker = row.worker;
  if (row.origin_source !== null && row.origin_partition !== null && row.origin_position !== null) {
    run.origin = {
      source: row.origin_source,
      partition: row.origin_partition,
      position: row.origin_position,
    };
  }
  if (row.output !== null) run.output = JSON.parse(row.output) as unknown;
  return run;
}
