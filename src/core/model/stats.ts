import type { RunState } from './run-record.js';

/**
 * Counters of one agent's life, updated in place on the hot path (plain fields, no events) and copied
 * into status snapshots.
 */
export class Stats {
  /** Messages taken from the source. */
  read = 0;
  /** Messages done by processing (at least one run, or handled by the pipeline). */
  processed = 0;
  /** Messages no rule matched (committed, not an error). */
  unmatched = 0;
  /** Messages dropped by a filter. */
  filtered = 0;
  /** Messages parked in the failed store. */
  parked = 0;
  /** Runs skipped because the same run already succeeded (redelivery). */
  skippedRuns = 0;
  readonly runs: Record<RunState, number> = { pending: 0, running: 0, succeeded: 0, failed: 0 };
  stepAttempts = 0;
  stepRetries = 0;
  publishAttempts = 0;
  publishRetries = 0;
  delivered = 0;
  publishGiveUps = 0;
  commits = 0;
  /** Messages marked done (any outcome). */
  done = 0;

  toJSON(): StatsSnapshot {
    return {
      read: this.read,
      processed: this.processed,
      unmatched: this.unmatched,
      filtered: this.filtered,
      parked: this.parked,
      skippedRuns: this.skippedRuns,
      runs: { ...this.runs },
      stepAttempts: this.stepAttempts,
      stepRetries: this.stepRetries,
      publishAttempts: this.publishAttempts,
      publishRetries: this.publishRetries,
      delivered: this.delivered,
      publishGiveUps: this.publishGiveUps,
      commits: this.commits,
      done: this.done,
    };
  }
}

export interface StatsSnapshot {
  readonly read: number;
  readonly processed: number;
  readonly unmatched: number;
  readonly filtered: number;
  readonly parked: number;
  readonly skippedRuns: number;
  readonly runs: Readonly<Record<RunState, number>>;
  readonly stepAttempts: number;
  readonly stepRetries: number;
  readonly publishAttempts: number;
  readonly publishRetries: number;
  readonly delivered: number;
  readonly publishGiveUps: number;
  readonly commits: number;
  readonly done: number;
}
