import type { RunRecord, StepRecord } from '../../model/run-record.js';
import type { Writable } from './writable.js';

/**
 * A ledger row's `data`: a JSON tuple, cheaper to write and read than a full row. Positions, in order:
 * event id, event type, rule, created, started, finished, runner, worker, origin source, origin
 * partition, origin position, output, then per step: name, started, duration.
 */
export type LedgerData = [
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

/** A `run_ledger` row as both adapters hand it over: `data` is the JSON text of a `LedgerData`. */
export interface LedgerRow {
  id: string;
  group_name: string;
  process: string;
  data: string;
}

/** Where the steps begin in a `LedgerData`: three entries per step from here on. */
const FIRST_STEP = 12;

/**
 * The `data` tuple of a plain success (see `JournalBatch.ledger`). The id, group and process go in columns
 * of their own. A missing start is the creation time, a missing finish the update time; a step without a
 * start starts at 0. Each adapter serialises the tuple its own way (a column's text, or inside a JSON
 * parameter).
 */
export function toLedgerData(run: RunRecord): LedgerData {
  return ledgerTuple(run, 0) as LedgerData;
}

/**
 * The `LedgerData` of `run` from index `at` of a new array sized for it (an entry puts its id before it).
 * Sized up front and filled by index: pushed, the array grew its store four times over per run on the
 * hot path (a third of a ledger entry's allocation, measured on the `local` bench).
 */
function ledgerTuple(run: RunRecord, at: number): unknown[] {
  const steps = run.steps;
  const out = new Array<unknown>(at + FIRST_STEP + 3 * steps.length);
  out[at] = run.eventId;
  out[at + 1] = run.eventType;
  out[at + 2] = run.rule;
  out[at + 3] = run.createdAt;
  out[at + 4] = run.startedAt ?? run.createdAt;
  out[at + 5] = run.finishedAt ?? run.updatedAt;
  out[at + 6] = run.runner;
  out[at + 7] = run.worker ?? null;
  out[at + 8] = run.origin?.source ?? null;
  out[at + 9] = run.origin?.partition ?? null;
  out[at + 10] = run.origin?.position ?? null;
  out[at + 11] = run.output ?? null;
  let i = at + FIRST_STEP;
  for (const step of steps) {
    const started = step.startedAt ?? 0;
    out[i++] = step.name;
    out[i++] = started;
    out[i++] = (step.finishedAt ?? started) - started;
  }
  return out;
}

/**
 * The run a ledger row stands for: succeeded, each step succeeded at its first and only attempt, updated
 * when it finished. A null worker, origin or output is an absent field.
 */
export function fromLedger(row: LedgerRow): RunRecord {
  return fromLedgerData(row.id, row.group_name, row.process, JSON.parse(row.data) as LedgerData);
}

/**
 * One run of a ledger batch (SQLite, schema 6): its id, then its `LedgerData`. Its event id is at 1 and
 * its finish time at `ENTRY_FINISHED`; the group and process are the batch row's.
 */
export type LedgerEntry = [string, ...LedgerData];

/** Where a `LedgerEntry` holds the run's finish time (SQL reads it as `value->>6`). */
export const ENTRY_FINISHED = 6;

/** The entry of a plain success in a ledger batch: `[id, ...toLedgerData(run)]`. */
export function toLedgerEntry(run: RunRecord): LedgerEntry {
  const entry = ledgerTuple(run, 1);
  entry[0] = run.id;
  return entry as LedgerEntry;
}

/** The run a ledger batch's entry stands for (see `fromLedger`). */
export function fromLedgerEntry(group: string, process: string, entry: LedgerEntry): RunRecord {
  const [id, ...data] = entry;
  return fromLedgerData(id, group, process, data as LedgerData);
}

function fromLedgerData(id: string, group: string, process: string, d: LedgerData): RunRecord {
  const steps: StepRecord[] = [];
  for (let i = FIRST_STEP; i + 2 < d.length; i += 3) {
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
    id,
    group,
    eventId: d[0],
    eventType: d[1],
    rule: d[2],
    process,
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
