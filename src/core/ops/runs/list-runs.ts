import type { RunWhereItem } from '../../filter/run-where.js';
import { readsEvent } from '../../filter/run-where.js';
import type { Where } from '../../filter/where.js';
import type { RunRecord, RunState } from '../../model/run-record.js';
import type { StateStore } from '../../store/state-store.js';
import { eventFromLog } from './run-event.js';

/** Which runs `runs list` (and the console's Processes pane) shows. Every field narrows; none is required. */
export interface RunQuery {
  readonly group?: string;
  readonly state?: RunState;
  readonly process?: string;
  readonly rule?: string;
  /** Only runs that changed (were created, ran, finished) at or after this time, ms since the epoch. */
  readonly since?: number;
  /** A compiled `--where`; its `event` variable is read from the local log only when it names it. */
  readonly where?: Where<RunWhereItem>;
  /** At most this many runs (newest first). */
  readonly limit: number;
  /**
   * Look at no more than this many of the newest runs (that the store's own filter, state and process,
   * lets through) to find `limit` matches (default 100,000): a bound on the work of a filter that
   * matches little. The console's pane gives a small one, to stay cheap every few seconds.
   */
  readonly maxScan?: number;
}

export interface RunList {
  /** The matching runs, most recently changed first. */
  readonly runs: RunRecord[];
  /** Runs looked at. */
  readonly scanned: number;
  /** Whether every run the store holds (of the store's filter) was looked at: no older one was left out. */
  readonly complete: boolean;
}

const DEFAULT_MAX_SCAN = 100_000;

/**
 * The runs of a query, most recently changed first (`RunStore.list`'s order). The store narrows by state
 * and process; the group, rule, `since` and `--where` are tested here, on a window of the newest runs
 * that grows (×4) until `limit` runs matched, the store has no more, the window reached runs older than
 * `since`, or `maxScan` runs were looked at. The group is tested here rather than in the store because
 * the newest runs of every group come from an index (by update time), while a group's must be sorted.
 * Reads nothing but runs, unless the `--where` names `event` (then one log read per run tested).
 */
export async function listRuns(store: StateStore, query: RunQuery): Promise<RunList> {
  const maxScan = Math.max(query.limit, query.maxScan ?? DEFAULT_MAX_SCAN);
  if (query.limit <= 0) return { runs: [], scanned: 0, complete: false };
  const narrowsHere =
    query.group !== undefined ||
    query.rule !== undefined ||
    query.since !== undefined ||
    query.where !== undefined;
  const verdicts = new Map<string, boolean>();
  const withEvent = query.where !== undefined && readsEvent(query.where.expression);
  let window = narrowsHere ? Math.min(maxScan, query.limit * 2) : query.limit;
  for (;;) {
    const page = await store.runs.list({
      ...(query.state === undefined ? {} : { state: query.state }),
      ...(query.process === undefined ? {} : { process: query.process }),
      limit: window,
    });
    const runs: RunRecord[] = [];
    let reachedSince = false;
    let looked = 0;
    for (const run of page) {
      if (query.since !== undefined && run.updatedAt < query.since) {
        reachedSince = true;
        break;
      }
      looked++;
      let verdict = verdicts.get(run.id);
      if (verdict === undefined) {
        verdict = await matches(store, query, run, withEvent);
        verdicts.set(run.id, verdict);
      }
      if (verdict) runs.push(run);
      if (runs.length === query.limit) break;
    }
    const exhausted = page.length < window || reachedSince;
    if (runs.length === query.limit || exhausted || window >= maxScan) {
      return { runs, scanned: looked, complete: exhausted };
    }
    window = Math.min(maxScan, window * 4);
  }
}

async function matches(
  store: StateStore,
  query: RunQuery,
  run: RunRecord,
  withEvent: boolean,
): Promise<boolean> {
  if (query.group !== undefined && run.group !== query.group) return false;
  if (query.rule !== undefined && run.rule !== query.rule) return false;
  if (query.where === undefined) return true;
  const event = withEvent ? await eventFromLog(store, run) : undefined;
  return query.where.matches({
    run,
    ...(event?.stored === 'log' ? { event: event.event } : {}),
  });
}
