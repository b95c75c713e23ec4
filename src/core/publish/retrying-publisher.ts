import { type Clock, SLEEP_CANCELLED, systemClock } from '../clock.js';
import { describeError, isRetriable } from '../errors/agentctl-error.js';
import { TimeoutError } from '../errors/timeout-error.js';
import { type Culmination, type Effort, type PublishAttempt, timeOrderedUuid } from '../model/effort.js';
import type { Stats } from '../model/stats.js';
import { type Backoff, backoff } from '../retry/backoff.js';
import type { Journal } from '../store/journal.js';
import { recordParkKey } from '../store/parking.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { Contingency } from './contingency.js';
import type { Publisher, PublishRecord, SendProgress, SendResult, Sink } from './publisher.js';
import type { PublisherStatusBoard } from './status-board.js';

export interface RetryingPublisherOptions {
  readonly sink: Sink;
  readonly contingency: Contingency;
  /** Where efforts are recorded and exhausted records parked. */
  readonly journal: Journal;
  /** Consumer group written on parked records. */
  readonly group: string;
  /**
   * Written on parked records so that a replay finds the sink's URI again (see `NewFailedMessage.sinkRef`),
   * e.g. `publisher.sink` for the agent's configured sink. Never the URI: it may hold credentials.
   */
  readonly sinkRef?: string;
  /** Shared sink health; without one the sink is never disabled. */
  readonly board?: PublisherStatusBoard;
  readonly clock?: Clock;
  readonly telemetry?: Telemetry;
  readonly stats?: Stats;
  /** A send that takes longer fails every record in it (its signal is aborted). Default 10 s. */
  readonly attemptTimeoutMs?: number;
  /** Sends to the sink under way at once (default 4); one key's records are still sent one at a time. */
  readonly maxSendsInFlight?: number;
  /** Source of jitter, for deterministic tests. Default `Math.random`. */
  readonly random?: () => number;
}

interface Entry {
  readonly record: PublishRecord;
  readonly effort: Effort;
  readonly resolve: (effort: Effort) => void;
  readonly reject: (reason: unknown) => void;
  readonly signal: AbortSignal | undefined;
  onAbort?: () => void;
  /** While waiting for a retry: when it is due (the key of its wave). */
  dueAt?: number;
  backoff?: Backoff;
  /** This effort holds the status board's half-open trial. */
  trial: boolean;
  inFlight: boolean;
  /** Culminated, or abandoned by its caller: its promise is settled. */
  settled: boolean;
}

/** Entries whose retries are due at the same instant: they wake together, so they can share a send. */
interface Wave {
  readonly entries: Set<Entry>;
  readonly cancel: AbortController;
}

type SendOutcome =
  | { readonly ok: true; readonly result: SendResult }
  | { readonly ok: false; readonly error: unknown };

/**
 * A `Publisher` that micro-batches, retries per `Contingency`, and parks what cannot be delivered.
 *
 * - **Batching.** Records published in the same tick, or while a send is in flight, go out together in one
 *   `sink.send` of at most `sink.maxBatch` records and `sink.maxBatchBytes` bytes of values (a record larger
 *   than that is sent alone). Up to `maxSendsInFlight` sends are under way at once (a send that ignores
 *   its aborted signal after a timeout may still be running besides them). A record whose outcome the sink
 *   reports through `SendProgress` culminates then, not when the rest of its batch is done.
 * - **Retries.** Only the records that failed are retried (a thrown send fails all of its records), each on
 *   its own backoff, and re-batched with whatever is ready then. An error that says it is not retriable
 *   (`isRetriable`) parks its record at once.
 * - **Order per key.** A record is never sent while an earlier record with the same `key` is still pending
 *   (per-key FIFO): the later one waits until the earlier one is delivered, parked or abandoned (an abandoned
 *   record still in a send keeps the key blocked until that send returns). Records of one key therefore go
 *   out one per send; records without a key are not ordered.
 * - **Parking.** After more than `maxRetries` retries, or when the status board says the sink is disabled
 *   (then without calling the sink), the record is parked through `journal.park` with reason `publish`,
 *   its bytes intact, keyed `publish/<sink>/<record id>`.
 * - **Bookkeeping.** Each `publish` makes a new effort (a UUIDv7 id), recorded in the journal when created
 *   and at every change (a snapshot while under way; once culminated the effort itself, which no longer
 *   changes); `finalAttempt` is set when it culminates. Telemetry `attempt`
 *   per attempt and `effort` per culmination; stats `publishAttempts` and `publishRetries` per record sent,
 *   `delivered`, and `publishGiveUps` per parked record (turned away by a disabled sink included).
 * - **Sink health.** A delivered effort is a success on the status board; one that gave up after retriable
 *   failures (or was the half-open trial) is a failure. A record parked for a non-retriable error is the
 *   record's fault, not the sink's, and is not counted.
 * - **Reaction.** `contingency.reaction` runs once per effort, right after it culminated and its promise
 *   resolved; a reaction that throws or rejects is reported as a telemetry `warning`.
 */
export class RetryingPublisher implements Publisher {
  readonly sink: string;
  private readonly target: Sink;
  private readonly contingency: Contingency;
  private readonly journal: Journal;
  private readonly group: string;
  private readonly sinkRef: string | undefined;
  private readonly board: PublisherStatusBoard | undefined;
  private readonly clock: Clock;
  private readonly telemetry: Telemetry | undefined;
  private readonly stats: Stats | undefined;
  private readonly attemptTimeoutMs: number;
  private readonly random: () => number;
  /** Entries due for a send, in the order they became due. Holds only the head of each key. */
  private readonly ready: Entry[] = [];
  /** Per key, the pending entries in publish order; only the first may be ready, waiting or in flight. */
  private readonly lanes = new Map<string, Entry[]>();
  /** Retry waits by due time (one clock sleep per due time, however many records wait for it). */
  private readonly waves = new Map<number, Wave>();
  /** What `close()` waits for besides the efforts: sends, backoff waits, reactions. Never rejects. */
  private readonly tasks = new Set<Promise<unknown>>();
  /** Efforts whose promise is not settled yet (`close()` waits for them too). */
  private unsettled = 0;
  /** Wakes `close()` when the last unsettled effort settles. */
  private onAllSettled: (() => void) | undefined;
  /** Where the unsent part of `ready` starts (an index, so taking from it is O(1)). */
  private readyHead = 0;
  private sends = 0;
  private readonly maxSends: number;
  private pumpScheduled = false;
  private closing: Promise<void> | undefined;

  constructor(options: RetryingPublisherOptions) {
    this.target = options.sink;
    this.sink = options.sink.name;
    this.contingency = options.contingency;
    this.journal = options.journal;
    this.group = options.group;
    this.sinkRef = options.sinkRef;
    this.board = options.board;
    this.clock = options.clock ?? systemClock;
    this.telemetry = options.telemetry;
    this.stats = options.stats;
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? 10_000;
    this.random = options.random ?? Math.random;
    this.maxSends = Math.max(1, options.maxSendsInFlight ?? 4);
    this.board?.register(this.sink);
  }

  /**
   * Publishes `record` and resolves with its culminated effort (`delivered` or `parked`). Never rejects for
   * a delivery failure. Rejects with the signal's reason when `signal` aborts before the effort culminated
   * (the effort stays `pending` in the journal and the record is not sent again), and rejects when the
   * publisher is closing.
   */
  publish(record: PublishRecord, signal?: AbortSignal): Promise<Effort> {
    if (this.closing !== undefined) return Promise.reject(new Error(`publisher for ${this.sink} is closed`));
    if (signal?.aborted) return Promise.reject(signal.reason);
    const now = this.clock.now();
    const effort: Effort = {
      id: timeOrderedUuid(now),
      sink: this.sink,
      recordId: record.id,
      ...(record.runId === undefined ? {} : { runId: record.runId }),
      createdAt: now,
      attempts: 0,
      retries: 0,
      history: [],
      culmination: 'pending',
      updatedAt: now,
    };
    this.journal.recordEffort(snapshot(effort));
    let entry!: Entry;
    const promise = new Promise<Effort>((resolve, reject) => {
      entry = { record, effort, resolve, reject, signal, trial: false, inFlight: false, settled: false };
    });
    this.unsettled++;
    if (signal !== undefined) {
      entry.onAbort = () => this.abandon(entry, signal.reason);
      signal.addEventListener('abort', entry.onAbort, { once: true });
    }
    this.enqueue(entry);
    return promise;
  }

  /** Accepts no more records, waits for every pending effort (and reaction), then closes the sink. */
  close(): Promise<void> {
    this.closing ??= this.drain();
    return this.closing;
  }

  private async drain(): Promise<void> {
    for (;;) {
      if (this.unsettled > 0) {
        await new Promise<void>((resolve) => {
          this.onAllSettled = resolve;
        });
      } else if (this.tasks.size > 0) {
        await Promise.allSettled([...this.tasks]);
      } else {
        break;
      }
    }
    await this.target.close();
  }

  private enqueue(entry: Entry): void {
    const key = entry.record.key;
    if (key === undefined) {
      this.makeReady(entry);
      return;
    }
    const lane = this.lanes.get(key);
    if (lane !== undefined) {
      lane.push(entry);
      return;
    }
    this.lanes.set(key, [entry]);
    this.makeReady(entry);
  }

  private makeReady(entry: Entry): void {
    this.ready.push(entry);
    this.schedulePump();
  }

  /** Sends on the next microtask, so that records published in the same tick share a send. */
  private schedulePump(): void {
    if (this.pumpScheduled || this.sends >= this.maxSends) return;
    this.pumpScheduled = true;
    queueMicrotask(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /**
   * Starts sends while fewer than `maxSendsInFlight` are under way. Sends in flight at once never share a
   * key (only the head of a key's lane is ever ready), so per-key order holds.
   */
  private pump(): void {
    while (this.sends < this.maxSends) {
      const batch = this.takeBatch();
      if (batch.length === 0) return;
      this.sends++;
      const sent = this.attempt(batch)
        .catch((error: unknown) => this.warn(`publisher for ${this.sink} failed to handle a send`, error))
        .finally(() => {
          this.sends--;
          this.schedulePump();
        });
      this.track(sent);
    }
  }

  /** Takes the next batch off the ready queue, parking the entries the status board turns away. */
  private takeBatch(): Entry[] {
    const batch: Entry[] = [];
    const maxBatch = Math.max(1, this.target.maxBatch || 1);
    const maxBytes = this.target.maxBatchBytes ?? Number.POSITIVE_INFINITY;
    let bytes = 0;
    const ready = this.ready;
    for (
      let entry = ready[this.readyHead];
      entry !== undefined && batch.length < maxBatch;
      entry = ready[this.readyHead]
    ) {
      const size = entry.record.value.byteLength;
      if (batch.length > 0 && bytes + size > maxBytes && !entry.settled) break;
      this.readyHead++;
      if (entry.settled) continue;
      const admission = entry.trial ? 'trial' : (this.board?.admit(this.sink) ?? 'enabled');
      if (admission === 'disabled') {
        this.park(entry, this.disabledReason(), 'SinkDisabled');
        continue;
      }
      entry.trial = admission === 'trial';
      batch.push(entry);
      bytes += size;
    }
    if (this.readyHead > 1024 && this.readyHead * 2 > ready.length) {
      ready.splice(0, this.readyHead);
      this.readyHead = 0;
    }
    return batch;
  }

  private async attempt(batch: readonly Entry[]): Promise<void> {
    const at = this.clock.now();
    for (const entry of batch) {
      entry.inFlight = true;
      if (this.stats !== undefined) {
        this.stats.publishAttempts += 1;
        if (entry.effort.attempts > 0) this.stats.publishRetries += 1;
      }
    }
    // Outcomes the sink reports while the send is under way are acted on at once (a delivered record
    // frees its caller and its key before the last record of a large batch is confirmed); `handled`
    // keeps the end of the send from acting on them again, and `open` ignores reports after it.
    const handled = new Uint8Array(batch.length);
    let open = true;
    const progress: SendProgress = (index, failure) => {
      const entry = batch[index];
      if (!open || entry === undefined || handled[index] === 1) return;
      handled[index] = 1;
      try {
        this.conclude(entry, failure === undefined, failure, at);
      } catch (error) {
        this.warn(`publisher for ${this.sink} failed to handle an outcome`, error);
      }
    };
    const outcome = await this.send(
      batch.map((entry) => entry.record),
      progress,
    );
    open = false;
    for (let index = 0; index < batch.length; index++) {
      if (handled[index] === 1) continue;
      const entry = batch[index]!;
      if (!outcome.ok) this.conclude(entry, false, outcome.error, at);
      else if (outcome.result.failures.has(index))
        this.conclude(entry, false, outcome.result.failures.get(index), at);
      else this.conclude(entry, true, undefined, at);
    }
  }

  /** The outcome of one record's attempt started `at`. */
  private conclude(entry: Entry, ok: boolean, error: unknown, at: number): void {
    entry.inFlight = false;
    if (entry.settled) this.release(entry);
    else if (ok) this.delivered(entry, at, this.clock.now());
    else this.failed(entry, error, at, this.clock.now() - at);
  }

  /** One `sink.send`, failed with a `TimeoutError` (and its signal aborted) after `attemptTimeoutMs`. */
  private async send(records: readonly PublishRecord[], progress: SendProgress): Promise<SendOutcome> {
    const controller = new AbortController();
    const timer = new AbortController();
    const timeout = new Promise<never>((_, reject) => {
      if (!Number.isFinite(this.attemptTimeoutMs)) return;
      this.clock.sleep(this.attemptTimeoutMs, timer.signal).then(
        () => {
          const error = new TimeoutError(`${this.sink}: send took longer than ${this.attemptTimeoutMs} ms`);
          controller.abort(error);
          reject(error);
        },
        () => undefined,
      );
    });
    try {
      const result = await Promise.race([this.target.send(records, controller.signal, progress), timeout]);
      return { ok: true, result };
    } catch (error) {
      return { ok: false, error };
    } finally {
      timer.abort(SLEEP_CANCELLED);
    }
  }

  private delivered(entry: Entry, at: number, now: number): void {
    const attempt = this.recordAttempt(entry, { at, durationMs: now - at, ok: true }, now);
    if (this.stats !== undefined) this.stats.delivered += 1;
    this.board?.recordSuccess(this.sink);
    this.emitAttempt(entry, attempt);
    this.culminate(entry, 'delivered', now);
  }

  private failed(entry: Entry, error: unknown, at: number, durationMs: number): void {
    const attempt = this.recordAttempt(entry, { at, durationMs, ok: false, error: describeError(error) });
    const effort = entry.effort;
    const retriable = isRetriable(error);
    if (!retriable || effort.retries >= this.contingency.maxRetries) {
      this.emitAttempt(entry, attempt);
      if (retriable || entry.trial) this.board?.recordFailure(this.sink, error);
      this.park(entry, describeError(error), error instanceof Error ? error.name : undefined);
      return;
    }
    entry.backoff = entry.backoff?.next() ?? backoff(this.contingency, this.random);
    const delayMs = entry.backoff.delayMs;
    effort.nextAttemptAt = this.clock.now() + delayMs;
    this.journal.recordEffort(snapshot(effort));
    this.emitAttempt(entry, attempt);
    this.retryAt(entry, effort.nextAttemptAt);
  }

  private retryAt(entry: Entry, dueAt: number): void {
    let wave = this.waves.get(dueAt);
    if (wave === undefined) {
      const created: Wave = { entries: new Set(), cancel: new AbortController() };
      const waking = this.clock.sleep(dueAt - this.clock.now(), created.cancel.signal).then(
        () => {
          this.waves.delete(dueAt);
          for (const waiting of created.entries) {
            waiting.dueAt = undefined;
            this.makeReady(waiting);
          }
        },
        () => undefined,
      );
      this.track(waking);
      this.waves.set(dueAt, created);
      wave = created;
    }
    wave.entries.add(entry);
    entry.dueAt = dueAt;
  }

  /** Takes an abandoned entry out of its wave, cancelling the wave's sleep when it was the last one. */
  private stopWaiting(entry: Entry): void {
    const dueAt = entry.dueAt;
    if (dueAt === undefined) return;
    entry.dueAt = undefined;
    const wave = this.waves.get(dueAt);
    if (wave === undefined) return;
    wave.entries.delete(entry);
    if (wave.entries.size > 0) return;
    this.waves.delete(dueAt);
    wave.cancel.abort(SLEEP_CANCELLED);
  }

  private recordAttempt(
    entry: Entry,
    outcome: Omit<PublishAttempt, 'attempt'>,
    now = this.clock.now(),
  ): PublishAttempt {
    const effort = entry.effort;
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

  private park(entry: Entry, error: string, errorName: string | undefined): void {
    const { record, effort } = entry;
    effort.lastError = error;
    this.journal.park({
      group: this.group,
      source: record.origin?.source ?? '',
      partition: record.origin?.partition ?? '',
      position: record.origin?.position ?? '',
      reason: 'publish',
      kind: 'record',
      error,
      ...(errorName === undefined ? {} : { errorName }),
      ...(record.runId === undefined ? {} : { runId: record.runId }),
      sink: this.sink,
      ...(this.sinkRef === undefined ? {} : { sinkRef: this.sinkRef }),
      ...(record.key === undefined ? {} : { recordKey: record.key }),
      ...(record.headers === undefined ? {} : { headers: record.headers }),
      attempts: effort.attempts,
      raw: record.value,
      timestamp: record.timestamp,
      failedAt: this.clock.now(),
      key: recordParkKey(this.sink, record.id),
    });
    if (this.stats !== undefined) this.stats.publishGiveUps += 1;
    this.culminate(entry, 'parked');
  }

  private culminate(entry: Entry, culmination: Culmination, now = this.clock.now()): void {
    const effort = entry.effort;
    effort.culmination = culmination;
    effort.nextAttemptAt = undefined;
    effort.finalAttempt = effort.history.at(-1);
    effort.updatedAt = now;
    // A culminated effort never changes again: the journal may keep it as it is (no copy per record).
    this.journal.recordEffort(effort);
    this.telemetry?.emit('effort', { effort });
    this.settle(entry);
    this.release(entry);
    entry.resolve(effort);
    this.react(effort);
  }

  /** The entry's promise is about to settle. */
  private settle(entry: Entry): void {
    entry.settled = true;
    if (--this.unsettled > 0) return;
    const wake = this.onAllSettled;
    this.onAllSettled = undefined;
    wake?.();
  }

  /** The caller gave up on the effort: it stays `pending`, and its record is not sent again. */
  private abandon(entry: Entry, reason: unknown): void {
    if (entry.settled) return;
    this.settle(entry);
    this.stopWaiting(entry);
    // Left in `ready` if it is there: `takeBatch` skips settled entries.
    entry.reject(reason);
    if (!entry.inFlight) this.release(entry);
  }

  /** The entry leaves for good: unblocks the next record of its key. */
  private release(entry: Entry): void {
    if (entry.onAbort !== undefined) entry.signal?.removeEventListener('abort', entry.onAbort);
    const key = entry.record.key;
    if (key === undefined) return;
    const lane = this.lanes.get(key);
    if (lane === undefined) return;
    const index = lane.indexOf(entry);
    if (index < 0) return;
    lane.splice(index, 1);
    const next = lane[0];
    if (next === undefined) this.lanes.delete(key);
    else if (index === 0) this.makeReady(next);
  }

  private react(effort: Effort): void {
    const reaction = this.contingency.reaction;
    if (reaction === undefined) return;
    const warn = (error: unknown) =>
      this.warn(`contingency reaction failed for effort ${effort.id} (${this.sink})`, error);
    try {
      this.track(Promise.resolve(reaction(effort)).catch(warn));
    } catch (error) {
      warn(error);
    }
  }

  private emitAttempt(entry: Entry, attempt: PublishAttempt): void {
    if (this.telemetry === undefined || !this.telemetry.has('attempt')) return;
    const { effort } = entry;
    this.telemetry.emit('attempt', {
      kind: 'publish',
      id: effort.id,
      name: this.sink,
      attempt: attempt.attempt,
      ok: attempt.ok,
      ...(attempt.error === undefined ? {} : { error: attempt.error }),
      ...(effort.nextAttemptAt === undefined ? {} : { nextAttemptAt: effort.nextAttemptAt }),
    });
  }

  private disabledReason(): string {
    const status = this.board?.status(this.sink);
    const last = status?.lastError === undefined ? '' : ` (last error: ${status.lastError})`;
    return `sink ${this.sink} is disabled after repeated failures${last}`;
  }

  private warn(message: string, error: unknown): void {
    this.telemetry?.emit('warning', { message, error });
  }

  private track(promise: Promise<unknown>): void {
    const settled = promise.then(
      () => undefined,
      () => undefined,
    );
    this.tasks.add(settled);
    void settled.then(() => this.tasks.delete(settled));
  }
}

/**
 * What the journal keeps of an effort still under way: a copy, so later changes to the live effort do not
 * leak into a taken batch.
 */
function snapshot(effort: Effort): Effort {
  return { ...effort, history: [...effort.history] };
}
