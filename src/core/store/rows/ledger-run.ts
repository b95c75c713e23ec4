import type { RunOrigin, RunRecord, RunState, StepRecord } from '../../model/run-record.js';
import { fromLedgerEntry, type LedgerEntry, toLedgerEntry } from './ledger-codec.js';

/**
 * A plain success (see `isPlainSuccess`) held in its ledger form: two objects — this and its
 * `LedgerEntry` of primitives — instead of the six or more of a full record (record, steps, each step,
 * its history, its attempt, origin). The journal keeps a succeeded run this way from the moment it is
 * recorded until its flush, so the record the executor built dies young, in the nursery, instead of
 * being promoted with the ~seconds of runs a flush carries; the SQLite store writes `entry` as it is.
 * Read-only: a succeeded run does not change.
 */
export class LedgerRun implements RunRecord {
  private full: RunRecord | undefined;

  private constructor(
    readonly group: string,
    readonly process: string,
    readonly entry: LedgerEntry,
  ) {}

  /** The ledger form of a plain success. */
  static of(run: RunRecord): LedgerRun {
    return new LedgerRun(run.group, run.process, toLedgerEntry(run));
  }

  get id(): string {
    return this.entry[0];
  }
  get eventId(): string {
    return this.entry[1];
  }
  get eventType(): string {
    return this.entry[2];
  }
  get rule(): string {
    return this.entry[3];
  }
  get state(): RunState {
    return 'succeeded';
  }
  get createdAt(): number {
    return this.entry[4];
  }
  get startedAt(): number {
    return this.entry[5];
  }
  get finishedAt(): number {
    return this.entry[6];
  }
  get updatedAt(): number {
    return this.entry[6];
  }
  get runner(): string {
    return this.entry[7];
  }
  get attempts(): number {
    return this.expand().attempts;
  }
  get steps(): StepRecord[] {
    return this.expand().steps;
  }
  get worker(): string | undefined {
    return this.expand().worker;
  }
  get origin(): RunOrigin | undefined {
    return this.expand().origin;
  }
  get output(): unknown {
    return this.expand().output;
  }

  /** The full record, built on first use (not on the hot path: copies, tests, a PostgreSQL flush). */
  private expand(): RunRecord {
    this.full ??= fromLedgerEntry(this.group, this.process, this.entry);
    return this.full;
  }

  /** As a plain record (what `JSON.stringify` and spreads see). */
  toJSON(): RunRecord {
    return this.expand();
  }
}
