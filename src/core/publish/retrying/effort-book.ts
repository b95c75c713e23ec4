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
 * and at every change — a snapshot while under way, and once culminated the effort itself, which no
 * longer changes; `finalAttempt` is set when it culminates. Telemetry hears `attempt` per attempt and
 * `effort` per culmination; stats count `publishAttempts` and `publishRetries` per record sent,
 * `delivered`, and `publishGiveUps` per parked record. A record given up is parked through
 * `journal.park` with reason `publish`, its bytes intact, keyed `publish/<sink>/<record id>`.
 */
export class EffortBook {
  constructor(private readonly options: EffortBookOptions) {}

  /** A new effort (a UUIDv7 id) for `record`, recorded as pending. */
  open(record: PublishRecord): Effort {
    const now = this.options.clock.now();
    const effort: Effort = {
      id: timeOrderedUuid(now),
      sink: this.options.sink,
      recordId: record.id,
      ...(record.runId === undefined ? {} : { runId: record.runId }),
      createdAt: now,
      attempts: 0,
      retries: 0,
      history: [],
      culmination: 'pending',
      updatedAt: now,
    };
    this.options.journal.recordEffort(snapshot(effort));
    return effort;
  }

  /** The effort's record goes out in a send. */
  sending(effort: Effort): void {
    const stats = this.options.stats;
    if (stats === undefined) return;
    stats.publishAttempts += 1;
    if (effort.attempts > 0) stats.publishRetries += 1;
  }

  /** Adds an attempt to the effort's history (not yet recorded in the journal). */
  attempted(
    effort: Effort,
    outcome: Omit<PublishAttempt, 'attempt'>,
    now = this.options.clock.now(),
  ): PublishAttempt {
    const attempt: PublishAttempt = { attempt: effort.attempts + 1, ...outcome };
    effort.attempts = attempt.attempt;
    effort.retries = attempt.attempt - 1;
    effort.history.push(attempt);
    effort.initialAttempt ??= attempt;
    effort.nextAttemptAt = undefined;
    if (attempt.error !== undefined) effort.lastError = attempt.error;
    effort.updatedAt = now;
    return attempt;
  }

  /** The effort will be tried again in `delayMs`; returns when (clock time). */
  retryIn(effort: Effort, delayMs: number): number {
    const dueAt = this.options.clock.now() + delayMs;
    effort.nextAttemptAt = dueAt;
    this.options.journal.recordEffort(snapshot(effort));
    return dueAt;
  }

  countDelivered(): void {
    if (this.options.stats !== undefined) this.options.stats.delivered += 1;
  }

  emitAttempt(effort: Effort, attempt: PublishAttempt): void {
    const telemetry = this.options.telemetry;
    if (telemetry === undefined || !telemetry.has('attempt')) return;
    telemetry.emit('attempt', {
      kind: 'publish',
      id: effort.id,
      name: this.options.sink,
      attempt: attempt.attempt,
      ok: attempt.ok,
      ...(attempt.error === undefined ? {} : { error: attempt.error }),
      ...(effort.nextAttemptAt === undefined ? {} : { nextAttemptAt: effort.nextAttemptAt }),
    });
  }

  /** Parks `record` in the failed store with `error`; the effort is culminated `parked` next. */
  park(record: PublishRecord, effort: Effort, error: string, errorName: string | undefined): void {
    const { sink, sinkRef, journal, group, clock, stats } = this.options;
    effort.lastError = error;
    journal.park(
      parkedRecord(
        record,
        { error, ...(errorName === undefined ? {} : { errorName }), attempts: effort.attempts },
        { group, sink, ...(sinkRef === undefined ? {} : { sinkRef }), failedAt: clock.now() },
      ),
    );
    if (stats !== undefined) stats.publishGiveUps += 1;
  }

  /** The effort's outcome: recorded for good, and told to telemetry. */
  culminate(effort: Effort, culmination: Culmination, now = this.options.clock.now()): void {
    effort.culmination = culmination;
    effort.nextAttemptAt = undefined;
    effort.finalAttempt = effort.history.at(-1);
    effort.updatedAt = now;
    // A culminated effort never changes again: the journal may keep it as it is (no copy per record).
    this.options.journal.recordEffort(effort);
    this.options.telemetry?.emit('effort', { effort });
  }
}

/**
 * What the journal keeps of an effort still under way: a copy, so later changes to the live effort do not
 * leak into a taken batch.
 */
function snapshot(effort: Effort): Effort {
  return { ...effort, history: [...effort.history] };
}
