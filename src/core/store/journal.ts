import type { Effort } from '../model/effort.js';
import type { RunRecord } from '../model/run-record.js';
import type { FailureAttempt, NewFailedMessage } from './records.js';
import { LedgerRun } from './rows/ledger-run.js';

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
  /**
   * Ids of runs executed again on purpose (`replay --rerun`): their earlier records, full or ledger, are
   * removed in the same write, before the new ones are written, so a run has one record, the newest.
   */
  readonly replaced?: readonly string[];
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

/** A lookup of the store that the journal must keep answering for: see `Journal.hold`. */
export interface JournalHold {
  /** Says one of the hold's users is done with it; the last one releases the hold. */
  done(): void;
}

/** What `Journal.admit` says of a run about to execute. */
export type Admission = 'run' | 'skip' | Promise<void>;

/**
 * What is remembered of a batch taken from the journal while a lookup may not see it in the store yet:
 * the ids of its succeeded runs, not the records — a run's full record dies with its flush. A list, not a
 * set: `hasSucceeded` asks the index (`Journal.young`, `Journal.old`), so a batch's ids are only searched
 * in the rare `reindex`.
 */
interface Taken {
  readonly generation: number;
  readonly succeeded: readonly string[];
}

/**
 * The in-memory write buffer of the hot path. Strategies, runners and publishers record here; the
 * processor flushes it with `StateStore.flush` right before it commits positions, so a checkpoint never
 * moves past a message whose run, effort or parking is not durable. Runs and efforts are kept by id, so a
 * record updated many times between flushes is written once, in its latest state.
 *
 * It is also this agent's memory of runs the store may not show yet, consulted by `admit` right before a
 * run executes: a run that succeeded since the last flush, in a flush under way, or after a store lookup
 * that is still being acted on, is skipped; a run executing now makes a second copy wait for it. Together
 * with the store lookup this keeps a duplicate event (in one batch, re-sent by a producer, or redelivered
 * while its first copy still runs) from executing a succeeded run twice.
 */
export class Journal {
  private runs = new Map<string, RunRecord>();
  /** Runs that were (or will be) written in full: they must never go to the ledger. */
  private readonly written = new Set<string>();
  /** Runs executed again on purpose, whose earlier records the next flush removes. */
  private replaced = new Set<string>();
  private efforts = new Map<string, Effort>();
  private parked: NewFailedMessage[] = [];
  /** How many batches were taken. */
  private generation = 0;
  /** Taken batches that a lookup may not see yet (see `take` and `hold`). */
  private taken: Taken[] = [];
  /** Open holds, by the generation at which each was taken. */
  private readonly holds = new Map<number, number>();
  /**
   * Runs executing across turns now (see `executing`), with the callbacks of copies waiting for them
   * (null: none waits). A run that finishes in the turn it was admitted in never enters it.
   */
  private readonly running = new Map<string, (() => void)[] | null>();
  /**
   * Every run recorded as succeeded in the buffer (generation + 1) or in a kept taken batch, by the newest
   * such generation: `hasSucceeded` — asked twice per run on the hot path — is then one or two lookups
   * instead of one per kept batch and a record read. An entry older than `keepFrom` answers nothing: the
   * index is never pruned entry by entry, it is rotated in two halves (new entries go to `young`; `old` is
   * dropped whole once all of its entries are forgotten). Deleting a batch's ids one by one kept the
   * table of one long-lived map rehashing at each flush: tables promoted to the old heap, then garbage.
   */
  private young = new Map<string, number>();
  private old: Map<string, number> | undefined;
  /** The newest generation `old` may name. */
  private oldNewest = 0;
  /** The oldest taken batch a lookup may not see (see `forget`): older index entries answer nothing. */
  private keepFrom = -1;

  /**
   * Records a run's latest state. A plain success that was never written in full is kept in its ledger
   * form (`LedgerRun`), so the record the executor built is not held until the flush.
   */
  recordRun(run: RunRecord): void {
    const compact = run.state === 'succeeded' && !this.isWritten(run.id) && isPlainSuccess(run);
    this.runs.set(run.id, compact ? LedgerRun.of(run) : run);
    if (run.state === 'succeeded') {
      this.young.set(run.id, this.generation + 1);
      return;
    }
    if (run.state !== 'failed') this.written.add(run.id);
    if ((this.young.get(run.id) ?? this.old?.get(run.id)) === this.generation + 1) this.reindex(run.id);
  }

  /** `written` holds nothing on the hot path: asked without hashing the id then. */
  private isWritten(runId: string): boolean {
    return this.written.size !== 0 && this.written.has(runId);
  }

  /** The run already has a full record in the store (an earlier, unfinished execution). */
  markWritten(runId: string): void {
    this.written.add(runId);
  }

  /** The run is executed again on purpose (`replay --rerun`): its earlier record gives way to the new one. */
  markReplaced(runId: string): void {
    this.replaced.add(runId);
  }

  recordEffort(effort: Effort): void {
    this.efforts.set(effort.id, effort);
  }

  park(message: NewFailedMessage): void {
    this.parked.push(message);
  }

  /**
   * True when a run with this id succeeded since the last flush, or in a batch taken since that a store
   * lookup under a `hold` may not have seen (the store knows the older ones).
   */
  hasSucceeded(runId: string): boolean {
    const generation = this.young.get(runId) ?? this.old?.get(runId);
    return generation !== undefined && generation >= this.keepFrom;
  }

  /**
   * Points the index at the newest kept batch where `runId` succeeded (its buffered record did not). Rare
   * (a success recorded again as running or failed before its flush): entries are deleted only here.
   */
  private reindex(runId: string): void {
    for (let i = this.taken.length - 1; i >= 0; i--) {
      const batch = this.taken[i]!;
      if (batch.succeeded.includes(runId)) {
        this.young.set(runId, batch.generation);
        return;
      }
    }
    // The buffer's entry may sit in `old` (rotated by a hold's release); any other there is forgotten.
    this.young.delete(runId);
    this.old?.delete(runId);
  }

  /**
   * Marks the start of a store lookup whose answers will be acted on later, by `users` callers (each
   * calls `done()` once). Until the last one did, every run that succeeds from now on is kept in memory
   * even after it was flushed, so `hasSucceeded` answers for what the lookup could not see.
   */
  hold(users: number): JournalHold {
    const generation = this.generation;
    if (users <= 0) return { done() {} };
    this.holds.set(generation, (this.holds.get(generation) ?? 0) + 1);
    let left = users;
    return {
      done: () => {
        if (left <= 0 || --left > 0) return;
        const count = (this.holds.get(generation) ?? 1) - 1;
        if (count === 0) this.holds.delete(generation);
        else this.holds.set(generation, count);
        this.forget();
      },
    };
  }

  /**
   * Asks whether run `runId` may execute now: `skip` when it succeeded (see `hasSucceeded`), a promise
   * when a copy of it executes now in this agent (await it, then ask again), else `run`. A run admitted
   * with `run` that is still executing when the caller's turn ends (its runner answered with a promise)
   * must be marked `executing(runId)` before the turn ends, and `finished(runId)` once its final state was
   * recorded; one that finished in the same turn needs neither — nothing else ran meanwhile. This keeps
   * the common synchronous run off the map (a set and a delete per run, and the table churn of a map that
   * empties at each run).
   */
  admit(runId: string): Admission {
    if (this.hasSucceeded(runId)) return 'skip';
    if (this.running.size !== 0 && this.running.has(runId)) {
      return new Promise<void>((resolve) => {
        const waiting = this.running.get(runId);
        if (waiting === null || waiting === undefined) this.running.set(runId, [resolve]);
        else waiting.push(resolve);
      });
    }
    return 'run';
  }

  /** The run admitted by `admit` goes on past this turn: copies admitted meanwhile wait for `finished`. */
  executing(runId: string): void {
    this.running.set(runId, null);
  }

  /** The run marked `executing` is over (finished, failed or abandoned): copies waiting for it go on. */
  finished(runId: string): void {
    if (this.running.size === 0) return;
    const waiting = this.running.get(runId);
    this.running.delete(runId);
    if (waiting) for (const wake of waiting) wake();
  }

  get size(): number {
    return this.runs.size + this.efforts.size + this.parked.length;
  }

  /**
   * Empties the buffer and returns what was in it. Callers flush one batch at a time, or pipeline at most
   * one: the batch taken before the previous one must be flushed (or restored) when `take` is called.
   */
  take(): JournalBatch {
    const runs: RunRecord[] = [];
    const ledger: RunRecord[] = [];
    const succeeded: string[] = [];
    for (const run of this.runs.values()) {
      if (run.state === 'succeeded') succeeded.push(run.id);
      const full = this.isWritten(run.id);
      if (!full && (run instanceof LedgerRun || isPlainSuccess(run))) {
        ledger.push(run);
        continue;
      }
      runs.push(run);
      if (run.state === 'succeeded' || run.state === 'failed') this.written.delete(run.id);
    }
    // Only runs whose new record is in this batch: a rerun still executing keeps its old record for now.
    const replaced = this.replaced.size === 0 ? [] : [...this.replaced].filter((id) => this.runs.has(id));
    for (const id of replaced) this.replaced.delete(id);
    const batch: JournalBatch = {
      runs,
      ledger,
      efforts: [...this.efforts.values()],
      parked: this.parked,
      ...(replaced.length === 0 ? {} : { replaced }),
    };
    this.generation++;
    if (succeeded.length > 0) this.taken.push({ generation: this.generation, succeeded });
    this.forget();
    this.runs = new Map();
    this.efforts = new Map();
    this.parked = [];
    return batch;
  }

  /** Puts a batch back in front (its flush failed), keeping newer versions of the same records. */
  restore(batch: JournalBatch): void {
    for (const id of batch.replaced ?? []) this.replaced.add(id);
    for (const run of [...batch.runs, ...batch.ledger]) {
      if (this.runs.has(run.id)) continue;
      this.runs.set(run.id, run);
      if (run.state === 'succeeded') this.young.set(run.id, this.generation + 1);
    }
    for (const effort of batch.efforts) if (!this.efforts.has(effort.id)) this.efforts.set(effort.id, effort);
    this.parked = [...batch.parked, ...this.parked];
  }

  /**
   * Drops the taken batches every store lookup sees: those flushed (taken before the previous batch) and
   * older than every open hold's view (a lookup started at generation g may miss batches g - 1 and later).
   */
  private forget(): void {
    let oldestHeld = this.generation;
    for (const generation of this.holds.keys()) if (generation < oldestHeld) oldestHeld = generation;
    const keepFrom = Math.min(this.generation, oldestHeld) - 1;
    if (keepFrom > this.keepFrom) this.keepFrom = keepFrom;
    // Rotates the index once every entry of `old` is forgotten: `young` (every generation up to the
    // buffer's) becomes `old`, and the buffer's next successes start a new `young`.
    if (this.old === undefined || this.oldNewest < this.keepFrom) {
      this.old = this.young;
      this.oldNewest = this.generation + 1;
      this.young = new Map();
    }
    if (this.taken.length === 0 || this.taken[0]!.generation >= this.keepFrom) return;
    let first = 0;
    while (first < this.taken.length && this.taken[first]!.generation < this.keepFrom) first++;
    this.taken = this.taken.slice(first);
  }
}

export const EMPTY_BATCH: JournalBatch = { runs: [], ledger: [], efforts: [], parked: [] };
