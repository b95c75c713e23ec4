import type { RunRecord } from '../model/run-record.js';
import type { Stats } from '../model/stats.js';
import type { Journal } from '../store/journal.js';

/** A run dispatched in this session: `confirmed` once its task is; `early` when its result came first. */
export interface Dispatched {
  confirmed: boolean;
  early?: RunRecord;
}

/** Runs remembered at most; beyond this the oldest are forgotten (their results are still recorded). */
const MAX_REMEMBERED = 100_000;

/**
 * The queue runner's book of the runs it dispatched in this session and whose result has not come back.
 * A run is journaled `pending` once its task is confirmed; its result, when it comes, is journaled too
 * (the journal may still hold the run as `pending` and would otherwise write that over the result at its
 * next flush), and the run counters move from `pending` to the run's final state. A result that comes
 * before the task's confirm waits in the entry until the confirm.
 */
export class DispatchBook {
  private readonly dispatched = new Map<string, Dispatched>();

  constructor(
    private readonly context: { readonly journal: Pick<Journal, 'recordRun'>; readonly stats?: Stats },
  ) {}

  /** Runs dispatched in this session whose result has not come back. */
  get awaitingResults(): number {
    let n = 0;
    for (const d of this.dispatched.values()) if (d.early === undefined) n++;
    return n;
  }

  /** A run's task is about to be sent. */
  open(id: string): Dispatched {
    const entry: Dispatched = { confirmed: false };
    this.dispatched.set(id, entry);
    if (this.dispatched.size > MAX_REMEMBERED) {
      const oldest = this.dispatched.keys().next().value;
      if (oldest !== undefined) this.dispatched.delete(oldest);
    }
    return entry;
  }

  /** The task could not be sent (the dispatch was aborted). */
  forget(id: string): void {
    this.dispatched.delete(id);
  }

  /** The broker confirmed the run's task: journaled `pending`, or settled if its result is in already. */
  confirmed(entry: Dispatched, run: RunRecord): void {
    entry.confirmed = true;
    this.context.journal.recordRun(run);
    const stats = this.context.stats;
    if (stats) stats.runs.pending++;
    if (entry.early !== undefined) this.settle(run.id, entry.early);
  }

  /** A result was recorded in the store; a run of this session gets the final state journaled too. */
  resultRecorded(run: RunRecord): void {
    const entry = this.dispatched.get(run.id);
    if (entry === undefined) return;
    if (entry.confirmed) this.settle(run.id, run);
    else entry.early = run;
  }

  private settle(id: string, run: RunRecord): void {
    this.dispatched.delete(id);
    this.context.journal.recordRun(run);
    const stats = this.context.stats;
    if (stats) {
      stats.runs.pending--;
      stats.runs[run.state]++;
    }
  }
}
