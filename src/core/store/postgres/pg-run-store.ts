import type { RunRecord, RunState } from '../../model/run-record.js';
import { assertPageSize, DEFAULT_PAGE_SIZE } from '../page-size.js';
import { type RunRow, toRun } from '../rows/run-row.js';
import type { RunCount, RunFilter, RunForm, RunStore } from '../state-store.js';
import { jsonParam, type PgConnection, type PgStatement, textListSql, textLists } from './pg-connection.js';
import { PgRunLedger, type StoredKey } from './pg-run-ledger.js';

/** Times arrive as float8 and are rounded to whole ms: a fractional time must not fail a flush. */
const RUN_COLUMNS = `
  id text, group_name text, event_id text, event_type text, rule text, process text, state text,
  current_step text, attempts integer, steps json, created_at float8, started_at float8, finished_at float8,
  error text, fatal boolean, runner text, worker text, origin_source text, origin_partition text,
  origin_position text, output text, updated_at float8`;

/**
 * Runs in full (one row per run, the steps as JSON) and in the ledger (plain successes: `PgRunLedger`, one
 * row per flushed batch, found through its (event id, run id) key). A run that succeeded is never
 * overwritten by a later, unfinished state (a late or duplicate report).
 *
 * Callers give the event ids of the runs they look for where they know them: the ledger's key begins with
 * the event id (most producers number events in order, so a flush's keys land on the last few pages of
 * the index; see schema 4), and without them the key is scanned. The statements that find runs by a list
 * of ids are planned at each call, not prepared once: a plan cached while the ledger was small scans it,
 * and a busy agent's ledger grows faster than the statistics that would replace that plan (measured: 84 ms
 * a lookup at 200k runs, against 2 ms through the key).
 */
export class PgRunStore implements RunStore {
  private readonly ledger: PgRunLedger;

  constructor(private readonly connection: PgConnection) {
    this.ledger = new PgRunLedger(connection);
  }

  /**
   * The common table expressions that write full runs (given as a JSON parameter) and, with
   * `ledgerFirst`, ledger runs (the parameters of `ledgerParams`, from `$ledgerFirst` on; `stored` as in
   * `PgRunLedger.ctes`).
   */
  ctes(runsParam: string, ledgerFirst?: number, stored: StoredKey = 'skip'): string {
    return `
      runs_w AS (
        INSERT INTO ${this.connection.table('runs')} AS r (
          id, group_name, event_id, event_type, rule, process, state, current_step, attempts, steps,
          created_at, started_at, finished_at, error, fatal, runner, worker, origin_source, origin_partition,
          origin_position, output, updated_at)
        SELECT id, group_name, event_id, event_type, rule, process, state, current_step, attempts, steps,
          created_at::bigint, started_at::bigint, finished_at::bigint, error, fatal, runner, worker,
          origin_source, origin_partition, origin_position, output::json, updated_at::bigint
        FROM json_to_recordset(${runsParam}::json) AS x(${RUN_COLUMNS})
        ON CONFLICT (id) DO UPDATE SET
          group_name = excluded.group_name, event_id = excluded.event_id, event_type = excluded.event_type,
          rule = excluded.rule, process = excluded.process, state = excluded.state,
          current_step = excluded.current_step, attempts = excluded.attempts, steps = excluded.steps,
          created_at = excluded.created_at, started_at = excluded.started_at,
          finished_at = excluded.finished_at, error = excluded.error, fatal = excluded.fatal,
          runner = excluded.runner, worker = excluded.worker, origin_source = excluded.origin_source,
          origin_partition = excluded.origin_partition, origin_position = excluded.origin_position,
          output = excluded.output, updated_at = excluded.updated_at
        WHERE NOT (r.state = 'succeeded' AND excluded.state <> 'succeeded'))${
          ledgerFirst === undefined ? '' : `,${this.ledger.ctes(ledgerFirst, stored)}`
        }`;
  }

  /**
   * The JSON parameter of full runs. One statement may not update a row twice, so versions of one run in
   * a batch are folded first, as writing them one after the other would: a later unfinished version does
   * not replace a succeeded one.
   */
  static runsParam(runs: readonly RunRecord[]): string {
    const byId = new Map<string, RunRecord>();
    for (const run of runs) {
      const seen = byId.get(run.id);
      if (seen?.state === 'succeeded' && run.state !== 'succeeded') continue;
      byId.set(run.id, run);
    }
    // In id order: concurrent flushes that share runs then lock their rows in one order (no deadlock).
    const ordered = [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return jsonParam(
      ordered.map((run) => ({
        id: run.id,
        group_name: run.group,
        event_id: run.eventId,
        event_type: run.eventType,
        rule: run.rule,
        process: run.process,
        state: run.state,
        current_step: run.currentStep,
        attempts: run.attempts,
        steps: run.steps,
        created_at: run.createdAt,
        started_at: run.startedAt,
        finished_at: run.finishedAt,
        error: run.error,
        fatal: run.fatal,
        runner: run.runner,
        worker: run.worker,
        origin_source: run.origin?.source,
        origin_partition: run.origin?.partition,
        origin_position: run.origin?.position,
        // JSON text, so that an output of `null` is stored as JSON null, not SQL NULL (no output).
        output: run.output === undefined ? undefined : JSON.stringify(run.output),
        updated_at: run.updatedAt,
      })),
    );
  }

  /** The parameters of plain successes (see `PgRunLedger.params`); an id already in the ledger is kept. */
  static ledgerParams(runs: readonly RunRecord[]): unknown[] {
    return PgRunLedger.params(runs);
  }

  /**
   * The statement removing runs' records, full and ledger (runs executed again on purpose). `eventIds`
   * gives the event id of each run id it knows: those ledger rows are found by their key, the others by a
   * scan.
   */
  removals(ids: readonly string[], eventIds: ReadonlyMap<string, string> = new Map()): PgStatement {
    const keyed = ids.filter((id) => eventIds.has(id)).map((id) => [id, eventIds.get(id)]);
    const unkeyed = ids.filter((id) => !eventIds.has(id));
    return {
      text: `WITH r AS (
          DELETE FROM ${this.connection.table('runs')} WHERE id IN (SELECT json_array_elements_text($1::json))),
        ${this.ledger.removalCtes('$2', '$3')}
        SELECT 1`,
      values: [jsonParam(ids), jsonParam(keyed), jsonParam(unkeyed)],
    };
  }

  /**
   * One statement whatever the number of ids (they travel as one JSON array; with `eventIds`, the event
   * id of each run in the order of `ids`, as two `textLists`, which the server reads for less). With
   * `eventIds` ledger runs are found by their key; without, the ledger is scanned (planned at each call,
   * see above). Each key is probed on its own, in a lateral subquery with a limit, which the planner
   * cannot turn into a join: a join let it hash the whole key instead while the ledger held fewer than
   * some 40,000 runs (every lookup of an agent's first minutes read all of it), and at any size once it
   * knew the number of ids (an array's length: measured 4 → 15 µs an event). Full runs are probed the
   * same way (by primary key), in the same pass over the ids: the plan is then the same whatever the
   * tables hold, so the lookup by event ids is prepared once per connection (the agent's lookup before
   * each batch; planning it measured a quarter of its server CPU). One row per id found: `succeeded`
   * when its key is in the ledger, else its full run's state.
   */
  async lookup(ids: readonly string[], eventIds?: readonly string[]): Promise<Map<string, RunState>> {
    const states = new Map<string, RunState>();
    if (ids.length === 0) return states;
    const runs = this.connection.table('runs');
    const ledger = this.connection.table('run_ledger_events');
    const rows =
      eventIds === undefined
        ? await this.connection.rows<[string, RunState]>(
            `WITH wanted AS (SELECT w.id FROM json_array_elements_text($1::json) AS w(id))
             SELECT id, state FROM ${runs} WHERE id IN (SELECT id FROM wanted)
             UNION ALL
             SELECT id, 'succeeded' FROM ${ledger} WHERE id IN (SELECT id FROM wanted)`,
            [jsonParam(ids)],
          )
        : await this.connection.rows<[string, RunState]>(
            `SELECT w.id, coalesce(l.state, r.state)
             FROM unnest(${textListSql('$1', '$3')}, ${textListSql('$2', '$3')}) AS w(id, event_id)
             LEFT JOIN LATERAL (SELECT state FROM ${runs} r WHERE r.id = w.id LIMIT 1) r ON true
             LEFT JOIN LATERAL (
               SELECT 'succeeded' AS state FROM ${ledger} l WHERE l.event_id = w.event_id AND l.id = w.id LIMIT 1
             ) l ON true
             WHERE r.state IS NOT NULL OR l.state IS NOT NULL`,
            textLists(ids, eventIds),
            'agentctl_run_lookup',
          );
    for (const [id, state] of rows) if (states.get(id) !== 'succeeded') states.set(id, state);
    return states;
  }

  /** The run with this id; `eventId` (its event's id) finds a ledger run by its key, without a scan. */
  async get(id: string, eventId?: string): Promise<RunRecord | undefined> {
    const [row] = await this.connection.query<RunRow>(
      `SELECT * FROM ${this.connection.table('runs')} WHERE id = $1`,
      [id],
    );
    return row === undefined ? this.ledger.get(id, eventId) : toRun(row);
  }

  async list(filter: RunFilter = {}): Promise<RunRecord[]> {
    const params: unknown[] = [];
    const param = (value: unknown) => `$${params.push(value)}`;
    const conditions: string[] = [];
    if (filter.group !== undefined) conditions.push(`group_name = ${param(filter.group)}`);
    if (filter.state !== undefined) conditions.push(`state = ${param(filter.state)}`);
    if (filter.process !== undefined) conditions.push(`process = ${param(filter.process)}`);
    if (filter.eventId !== undefined) conditions.push(`event_id = ${param(filter.eventId)}`);
    const sql =
      `SELECT * FROM ${this.connection.table('runs')}` +
      (conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`) +
      ' ORDER BY updated_at DESC, id DESC' +
      (filter.limit === undefined ? '' : ` LIMIT ${param(filter.limit)}`);
    const withLedger = filter.state === undefined || filter.state === 'succeeded';
    const [full, ledger] = await Promise.all([
      this.connection.query<RunRow>(sql, params),
      withLedger ? this.ledger.list(filter) : Promise.resolve([]),
    ]);
    if (!withLedger) return full.map(toRun);
    const merged = [...full.map(toRun), ...ledger].sort(
      (a, b) => b.updatedAt - a.updatedAt || (a.id < b.id ? 1 : -1),
    );
    return filter.limit === undefined ? merged : merged.slice(0, filter.limit);
  }

  async countByState(group?: string): Promise<RunCount[]> {
    const [full, ledger] = await Promise.all([
      this.connection.query<RunCount>(
        `SELECT process, state, count(*) AS count FROM ${this.connection.table('runs')}
         WHERE $1::text IS NULL OR group_name = $1 GROUP BY process, state`,
        [group ?? null],
      ),
      this.ledger.counts(group),
    ]);
    const counts = new Map<string, RunCount>();
    for (const row of [...full, ...ledger]) {
      const key = `${row.process}\0${row.state}`;
      const count = (counts.get(key)?.count ?? 0) + row.count;
      counts.set(key, { process: row.process, state: row.state, count });
    }
    return [...counts.values()].sort((a, b) =>
      a.process === b.process ? (a.state < b.state ? -1 : 1) : a.process < b.process ? -1 : 1,
    );
  }

  async upsert(runs: readonly RunRecord[]): Promise<void> {
    if (runs.length === 0) return;
    await this.connection.run(`WITH ${this.ctes('$1')} SELECT 1`, [PgRunStore.runsParam(runs)]);
  }

  async prune(before: number, dryRun = false): Promise<number> {
    const full = await this.connection.prune(
      'runs',
      "state IN ('succeeded', 'failed') AND updated_at < $1",
      [before],
      dryRun,
    );
    return full + (await this.ledger.prune(before, dryRun));
  }

  /** Full runs in id order; ledger runs in the order they were written (batches by seq). */
  async *iterate(form: RunForm, pageSize = DEFAULT_PAGE_SIZE): AsyncIterable<RunRecord> {
    assertPageSize(pageSize);
    if (form === 'full') {
      const sql = `SELECT * FROM ${this.connection.table('runs')}
        WHERE $1::text IS NULL OR id > $1 ORDER BY id LIMIT $2`;
      let after: string | null = null;
      for (;;) {
        const rows: RunRow[] = await this.connection.query<RunRow>(sql, [after, pageSize]);
        for (const row of rows) yield toRun(row);
        if (rows.length < pageSize) return;
        after = rows.at(-1)!.id;
      }
    }
    yield* this.ledger.iterate(pageSize);
  }
}
