import type { RunRecord } from '../../model/run-record.js';
import { fromLedgerEntry, type LedgerEntry, toLedgerEntry } from './ledger-codec.js';
import { LedgerRun } from './ledger-run.js';

/**
 * A ledger batch row as both adapters read it back (SQLite since schema 6, PostgreSQL since schema 9):
 * the runs of one group and process that one flush wrote, still as the JSON text of their `LedgerEntry`s.
 */
export interface LedgerBatchRow {
  readonly seq: number;
  readonly group_name: string;
  readonly process: string;
  readonly count: number;
  readonly last_finished: number;
  readonly runs: string;
}

/** One run of a batch as both adapters read it: its batch's group and process, and its entry's JSON. */
export interface LedgerEntryRow {
  readonly group_name: string;
  readonly process: string;
  readonly entry: string;
}

/** The run of an entry row. */
export function entryRun(row: LedgerEntryRow): RunRecord {
  return fromLedgerEntry(row.group_name, row.process, JSON.parse(row.entry) as LedgerEntry);
}

/** The runs of a batch row. */
export function batchRuns(row: LedgerBatchRow): RunRecord[] {
  return (JSON.parse(row.runs) as LedgerEntry[]).map((entry) =>
    fromLedgerEntry(row.group_name, row.process, entry),
  );
}

/**
 * The `limit` latest runs of batches read newest last-finish first: `add` each batch in that order until
 * it answers false (no unread batch can hold a run among the `limit` latest), then take `runs()`.
 */
export class LatestLedgerRuns {
  private found: RunRecord[] = [];

  constructor(private readonly limit: number | undefined) {}

  /** Takes a batch; false once it (and every batch finished before it) is too old to matter. */
  add(batch: LedgerBatchRow): boolean {
    const limit = this.limit;
    if (limit !== undefined && this.found.length >= limit) {
      this.found = latest(this.found, limit);
      if (batch.last_finished < this.found[limit - 1]!.updatedAt) return false;
    }
    for (const run of batchRuns(batch)) this.found.push(run);
    return true;
  }

  runs(): RunRecord[] {
    return latest(this.found, this.limit);
  }
}

/** The `limit` (all without) last finished of `runs`, last first; ties by id, the greater first. */
export function latest(runs: RunRecord[], limit: number | undefined): RunRecord[] {
  runs.sort((a, b) => b.updatedAt - a.updatedAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  return limit === undefined ? runs : runs.slice(0, limit);
}

/**
 * Every run of the ledger in the order written: batches by seq, read through `page(after, batches)`
 * (the batches with a seq above `after`, in seq order, at most `batches`), sized so that a page holds
 * about `pageSize` runs.
 */
export async function* ledgerBatchRuns(
  page: (after: number, batches: number) => Promise<readonly LedgerBatchRow[]>,
  pageSize: number,
): AsyncIterable<RunRecord> {
  let after = 0;
  let batches = 1;
  for (;;) {
    const rows = await page(after, batches);
    let runs = 0;
    for (const row of rows) {
      yield* batchRuns(row);
      runs += row.count;
      after = row.seq;
    }
    if (rows.length < batches) return;
    batches = Math.max(1, Math.min(pageSize, Math.floor((pageSize * rows.length) / Math.max(1, runs))));
  }
}

/** The entries of one (group, process) in a flush: what a batch row is written from. */
export interface LedgerKind {
  readonly group: string;
  readonly process: string;
  readonly entries: LedgerEntry[];
}

/**
 * Plain successes grouped by (group, process), as `LedgerEntry`s (a `LedgerRun`'s as it is). With
 * `unique`, a run id seen before in `runs` is left out.
 */
export function ledgerKinds(runs: readonly RunRecord[], unique = false): LedgerKind[] {
  const byKind = new Map<string, LedgerKind>();
  const seen = unique ? new Set<string>() : undefined;
  // A flush is mostly runs of one kind: the key (a string per run) is built only when the kind changes.
  let last: LedgerKind | undefined;
  for (const run of runs) {
    if (seen !== undefined) {
      if (seen.has(run.id)) continue;
      seen.add(run.id);
    }
    let kind = last;
    if (kind === undefined || kind.group !== run.group || kind.process !== run.process) {
      const key = `${run.group}\0${run.process}`;
      kind = byKind.get(key);
      if (kind === undefined) {
        kind = { group: run.group, process: run.process, entries: [] };
        byKind.set(key, kind);
      }
      last = kind;
    }
    kind.entries.push(run instanceof LedgerRun ? run.entry : toLedgerEntry(run));
  }
  return [...byKind.values()];
}
