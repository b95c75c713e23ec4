import type { RunRecord } from '../processes/run-record.js';
import type { Effort } from '../publish/effort.js';
import type { FailureAttempt, NewFailedMessage } from './records.js';

/** What one flush writes, in one transaction. */
export interface JournalBatch {
  /** Runs written in full (upserted): running, failed, retried, or written before. */
  readonly runs: readonly RunRecord[];
  /**
   * Runs that succeeded at the first try of every step and were never written before: written once, in
   * compact form (the ledger). This is what keeps a run per event affordable at stream rates.
   */
  readonly ledger: readonly RunRecord[];
  readonly efforts: readonly Effort[];
  readonly parked: readonly NewFailedMessage[];
  /** Failed-store items replayed successfully: marked `replayed` in the same write (replay). */
  readonly replayed?: readonly number[];
  /** Failed-store items that failed again: attempts + 1, the failure appended to their history (replay). */
  readonly refailed?: readonly { readonly id: number; readonly attempt: FailureAttempt }[];
}

/** A run that succeeded with every step at its first attempt, and no error on the way. */
export function isPlainSuccess(run: RunRecord): boolean {
  if (run.state !== 'succeeded') return false;
  for (const step of run.steps) if (step.attempts !== 1 || step.state !== 'succeeded') return false;
  return true;
}

/**
 * The in-memory write buffer of the hot path. Strategies, runners and publishers record here; the
 * processor flushes it with `StateStore.flush` right before it commits positions, so a checkpoint never
 * moves past a message whose run, effort or parking is not durable. Runs and efforts are kept by id, so a
 * record updated many times between flushes is written once, in its latest state.
 */
export class Journal {
  private runs = new Map<string, RunRecord>();
  /** Runs that were (or will be) written in full: they must never go to the ledger. */
  private readonly written = new Set<string>();
  private efforts = new Map<string, Effort>();
  private parked: NewFailedMessage[] = [];

  recordRun(run: RunRecord): void {
    this.runs.set(run.id, run);
    if (run.state !== 'succeeded' && run.state !== 'failed') this.written.add(run.id);
  }

  /** The run already has a full record in the store (an earlier, unfinished execution). */
  markWritten(runId: string): void {
    this.written.add(runId);
  }

  recordEffort(effort: Effort): void {
    this.efforts.set(effort.id, effort);
  }

  park(message: NewFailedMessage): void {
    this.parked.push(message);
  }

  /** True when a run with this id succeeded since the last flush (the store knows the older ones). */
  hasSucceeded(runId: string): boolean {
    return this.runs.get(runId)?.state === 'succeeded';
  }

  get size(): number {
    return this.runs.size + this.efforts.size + this.parked.length;
  }

  /** Empties the buffer and returns what was in it. */
  take(): JournalBatch {
    const runs: RunRecord[] = [];
    const ledger: RunRecord[] = [];
    for (const run of this.runs.values()) {
      const full = this.written.has(run.id);
      if (!full && isPlainSuccess(run)) {
        ledger.push(run);
        continue;
      }
      runs.push(run);
      if (run.state === 'succeeded' || run.state === 'failed') this.written.delete(run.id);
    }
    const batch: JournalBatch = { runs, ledger, efforts: [...this.efforts.values()], parked: this.parked };
    this.runs = new Map();
    this.efforts = new Map();
    this.parked = [];
    return batch;
  }

  /** Puts a batch back in front (its flush failed), keeping newer versions of the same records. */
  restore(batch: JournalBatch): void {
    for (const run of [...batch.runs, ...batch.ledger])
      if (!this.runs.has(run.id)) this.runs.set(run.id, run);
    for (const effort of batch.efforts) if (!this.efforts.has(effort.id)) this.efforts.set(effort.id, effort);
    this.parked = [...batch.parked, ...this.parked];
  }
}

export const EMPTY_BATCH: JournalBatch = { runs: [], ledger: [], efforts: [], parked: [] };
