import type { Clock } from '../../clock.js';
import { type Culmination, type Effort, type PublishAttempt, timeOrderedUuid } from '../../model/effort.js';
import type { Stats } from '../../model/stats.js';
import type { Journal } from '../../store/journal.js';
import { parkedRecord } from '../../store/parking.js';
import type { Telemetry } from '../../telemetry/telemetry.js';
import type { PublishRecord } from '../publisher.js';

export interface EffortBookOptions {
  /** The sink's name, written on every effort and parked record. */
  readonly sink: string;
  readonly journal: Journal;
  /** Consumer group written on parked records. */
  readonly group: string;
  /** Written on parked records so that a replay finds the sink again (never the URI). */
  readonly sinkRef: string | undefined;
  readonly clock: Clock;
  readonly telemetry: Telemetry | undefined;
  readonly stats: Stats | undefined;
}

/**
 * The books of the retrying publisher's efforts. An effort is recorded in the journal when it is made
 * and at every change; `finalAttempt` is set when it culminates. Telemetry hears `attempt` per attempt and
 * `effort` per culmination (nothing is built for a name without listeners); stats count `publishAttempts`
 * and `publishRetries` per record sent, `delivered`, and `publishGiveUps` per parked record. A record
 * given up is parked through `journal.park` with reason `publish`, its bytes intact, keyed
 * `publish/<sink>/<record id>`.
 *
 * **Versions.** A change never mutates a recorded effort: `attempted` and `revise` make a new version (a
 * draft, not recorded yet, that `retryIn` or `culminate` finishes and records). A recorded version never
 * changes again, so the journal keeps it by reference: a batch taken from the journal holds each effort
 * as it was when recorded, and no snapshot copy is made (an effort made and delivered within one flush
 * interval costs two versions, the pending one and the culminated one). The caller keeps the latest version.
 */
export class EffortBook {
  constructor(private readonly options: EffortBookOptions) {}

  /** A new effort (a UUIDv7 id) for `record`, recorded as pending. */
  open(record: PublishRecord): Effort {
    const now = this.options.clock.now();
    const id = timeOrderedUuid(now);
    const sink = this.options.sink;
    // Two literals rather than a conditional spread: one object per record on the hot path, and an effort
    // without a run has no `runId` key at all (optional properties are exact).
    const effort: Effort =
      record.runId === undefined
        ? {
            id,
            sink,
            recordId: record.id,
            createdAt: now,
            attempts: 0,
            retries: 0,
            history: [],
            culmination: 'pending',
            updatedAt: now,
          }
        : {
            id,
            sink,
            recordId: record.id,
            runId: record.runId,
            createdAt: now,
            attempts: 0,
            retries: 0,
            history: [],
            culmination: 'pending',
            updatedAt: now,
          };
    this.options.journal.recordEffort(effort);
    return effort;
  }

  /** The effort's record goes out in a send. */
  sending(effort: Effort): void {
    const stats = this.options.stats;
    if (stats === undefined) return;
    stats.publishAttempts += 1;
    if (effort.attempts > 0) stats.publishRetries += 1;
  }

  /**
   * A draft of the next version of `effort` with one more attempt (started `at`, lasted `durationMs`,
   * failed with `error` unless `ok`) in its history, no `nextAttemptAt`, updated `now`. Not recorded:
   * `retryIn` or `culminate` does that.
   */
  attempted(
    effort: Effort,
    at: number,
    durationMs: number,
    ok: boolean,
    error: string | undefined,
    now = this.options.clock.now(),
  ): Effort {
    const number = effort.attempts + 1;
    const attempt: PublishAttempt =
      error === undefined
        ? { attempt: number, at, durationMs, ok }
        : { attempt: number, at, durationMs, ok, error };
    const history = effort.history.length === 0 ? [attempt] : [...effort.history, attempt];
    const draft = revision(effort, history, now);
    draft.attempts = number;
    draft.retries = number - 1;
    draft.initialAttempt ??= attempt;
    if (error !== undefined) draft.lastError = error;
    return draft;
  }

  /** A draft of the next version of `effort`, as it is now (for a change without an attempt). */
  revise(effort: Effort): Effort {
    return revision(effort, effort.history, this.options.clock.now());
  }

  /** The draft's record will be tried again in `delayMs`: records it; returns when (clock time). */
  retryIn(draft: Effort, delayMs: number): number {
    const dueAt = this.options.clock.now() + delayMs;
    draft.nextAttemptAt = dueAt;
    this.options.journal.recordEffort(draft);
    return dueAt;
  }

  countDelivered(): void {
    if (this.options.stats !== undefined) this.options.stats.delivered += 1;
  }

  /** Tells telemetry of the draft's last attempt. */
  emitAttempt(draft: Effort): void {
    const telemetry = this.options.telemetry;
    if (telemetry === undefined || !telemetry.has('attempt')) return;
    const attempt = draft.history[draft.history.length - 1]!;
    telemetry.emit('attempt', {
      kind: 'publish',
      id: draft.id,
      name: this.options.sink,
      attempt: attempt.attempt,
      ok: attempt.ok,
      ...(attempt.error === undefined ? {} : { error: attempt.error }),
      ...(draft.nextAttemptAt === undefined ? {} : { nextAttemptAt: draft.nextAttemptAt }),
    });
  }

  /** Parks `record` in the failed store with `error`; the draft is culminated `parked` next. */
  park(record: PublishRecord, draft: Effort, error: string, errorName: string | undefined): void {
    const { sink, sinkRef, journal, group, clock, stats } = this.options;
    draft.lastError = error;
    journal.park(
      parkedRecord(
        record,
        { error, ...(errorName === undefined ? {} : { errorName }), attempts: draft.attempts },
        { group, sink, ...(sinkRef === undefined ? {} : { sinkRef }), failedAt: clock.now() },
      ),
    );
    if (stats !== undefined) stats.publishGiveUps += 1;
  }

  /** The draft's outcome: recorded for good (it never changes again), and told to telemetry. */
  culminate(draft: Effort, culmination: Culmination, now = this.options.clock.now()): Effort {
    draft.culmination = culmination;
    draft.nextAttemptAt = undefined;
    draft.finalAttempt = draft.history.at(-1);
    draft.updatedAt = now;
    this.options.journal.recordEffort(draft);
    const telemetry = this.options.telemetry;
    if (telemetry?.has('effort')) telemetry.emit('effort', { effort: draft });
    return draft;
  }
}

/** A new version of `effort` with `history`, updated `now`, without `nextAttemptAt` (one object literal). */
function revision(effort: Effort, history: PublishAttempt[], now: number): Effort {
  return {
    id: effort.id,
    sink: effort.sink,
    recordId: effort.recordId,
    runId: effort.runId,
    createdAt: effort.createdAt,
    attempts: effort.attempts,
    retries: effort.retries,
    initialAttempt: effort.initialAttempt,
    finalAttempt: effort.finalAttempt,
    history,
    culmination: effort.culmination,
    nextAttemptAt: undefined,
    lastError: effort.lastError,
    updatedAt: now,
  };
}
