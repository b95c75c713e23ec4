import { type Clock, systemClock } from '../clock.js';
import { describeError, isRetriable } from '../errors/agentctl-error.js';
import type { Culmination, Effort } from '../model/effort.js';
import type { Stats } from '../model/stats.js';
import { backoff } from '../retry/backoff.js';
import type { Journal } from '../store/journal.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { Contingency } from './contingency.js';
import type { Publisher, PublishRecord, Sink } from './publisher.js';
import { AbortWatch } from './retrying/abort-watch.js';
import { sendBatch } from './retrying/batch-send.js';
import { EffortBook } from './retrying/effort-book.js';
import { type Entry, newEntry } from './retrying/entry.js';
import { KeyLanes } from './retrying/key-lanes.js';
import { PendingWork } from './retrying/pending-work.js';
import { ReadyQueue } from './retrying/ready-queue.js';
import { RetryWaves } from './retrying/retry-waves.js';
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
 *   and at every change (each change is a new version of the effort; a recorded version never changes
 *   again); `finalAttempt` is set when it culminates. Telemetry `attempt` per attempt and `effort` per
 *   culmination; stats `publishAttempts` and `publishRetries` per record sent,
 *   `delivered`, and `publishGiveUps` per parked record (turned away by a disabled sink included).
 * - **Sink health.** A delivered effort is a success on the status board; one that gave up after retriable
 *   failures (or was the half-open trial) is a failure. A record parked for a non-retriable error is the
 *   record's fault, not the sink's, and is not counted.
 * - **Reaction.** `contingency.reaction` runs once per effort, right after it culminated and its promise
 *   resolved; a reaction that throws or rejects is reported as a telemetry `warning`.
 *
 * The parts, in `publish/retrying/`: `ReadyQueue` (entries due for a send, taken a batch at a time),
 * `sendBatch` (one timed send, each record's outcome told once), `KeyLanes` (per-key order),
 * `RetryWaves` (backoff waits by due time), `EffortBook` (efforts, journal, telemetry, stats, parking),
 * `AbortWatch` (callers' signals, one listener per signal) and `PendingWork` (what `close` waits for).
 * This class holds each record's `Entry` through them.
 */
export class RetryingPublisher implements Publisher {
  readonly sink: string;
  private readonly target: Sink;
  private readonly contingency: Contingency;
  private readonly board: PublisherStatusBoard | undefined;
  private readonly clock: Clock;
  private readonly telemetry: Telemetry | undefined;
  private readonly attemptTimeoutMs: number;
  private readonly random: () => number;
  private readonly book: EffortBook;
  /** Entries due for a send. Holds only the head of each key. */
  private readonly ready = new ReadyQueue<Entry>();
  /** Per key, the pending entries in publish order; only the first may be ready, waiting or in flight. */
  private readonly lanes = new KeyLanes<Entry>();
  private readonly waves: RetryWaves<Entry>;
  /** The callers' abort signals: one listener per signal, not per entry. */
  private readonly aborts: AbortWatch<Entry>;
  /** What `close()` waits for: unsettled efforts, sends, backoff waits, reactions. */
  private readonly pending = new PendingWork();
  /** The ready queue's admission of one entry (made once: no closure per batch or record). */
  private readonly admit: (entry: Entry) => boolean;
  private sends = 0;
  private readonly maxSends: number;
  private pumpScheduled = false;
  private closing: Promise<void> | undefined;

  constructor(options: RetryingPublisherOptions) {
    this.target = options.sink;
    this.sink = options.sink.name;
    this.contingency = options.contingency;
    this.board = options.board;
    this.clock = options.clock ?? systemClock;
    this.telemetry = options.telemetry;
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? 10_000;
    this.random = options.random ?? Math.random;
    this.maxSends = Math.max(1, options.maxSendsInFlight ?? 4);
    this.book = new EffortBook({
      sink: this.sink,
      journal: options.journal,
      group: options.group,
      sinkRef: options.sinkRef,
      clock: this.clock,
      telemetry: options.telemetry,
      stats: options.stats,
    });
    this.waves = new RetryWaves<Entry>(
      this.clock,
      (entry) => this.makeReady(entry),
      (sleep) => this.pending.track(sleep),
    );
    this.admit = (entry) => this.admitted(entry);
    this.aborts = new AbortWatch<Entry>((entry, reason) => this.abandon(entry, reason));
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
    const effort = this.book.open(record);
    const entry = newEntry(record, effort, signal);
    this.pending.opened();
    this.aborts.watch(entry);
    if (this.lanes.enter(entry)) this.makeReady(entry);
    return entry.promise;
  }

  /** Accepts no more records, waits for every pending effort (and reaction), then closes the sink. */
  close(): Promise<void> {
    this.closing ??= this.drain();
    return this.closing;
  }

  private async drain(): Promise<void> {
    await this.pending.drained();
    await this.target.close();
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
      const batch = this.ready.take(
        Math.max(1, this.target.maxBatch || 1),
        this.target.maxBatchBytes ?? Number.POSITIVE_INFINITY,
        this.admit,
      );
      if (batch.length === 0) return;
      this.sends++;
      const sent = this.attempt(batch)
        .catch((error: unknown) => this.warn(`publisher for ${this.sink} failed to handle a send`, error))
        .finally(() => {
          this.sends--;
          this.schedulePump();
        });
      this.pending.track(sent);
    }
  }

  /** Whether the status board lets `entry` be sent now; one it turns away is parked. */
  private admitted(entry: Entry): boolean {
    const admission = entry.trial ? 'trial' : (this.board?.admit(this.sink) ?? 'enabled');
    if (admission === 'disabled') {
      this.park(entry, this.book.revise(entry.effort), this.disabledReason(), 'SinkDisabled');
      return false;
    }
    entry.trial = admission === 'trial';
    return true;
  }

  private async attempt(batch: readonly Entry[]): Promise<void> {
    const at = this.clock.now();
    for (const entry of batch) {
      entry.inFlight = true;
      this.book.sending(entry.effort);
    }
    await sendBatch(
      this.target,
      batch.map((entry) => entry.record),
      this.attemptTimeoutMs,
      this.clock,
      (index, ok, error, now) => this.conclude(batch[index]!, ok, error, at, now),
      (error) => this.warn(`publisher for ${this.sink} failed to handle an outcome`, error),
    );
  }

  /** The outcome, known `now`, of one record's attempt started `at`. */
  private conclude(entry: Entry, ok: boolean, error: unknown, at: number, now: number): void {
    entry.inFlight = false;
    if (entry.settled) this.release(entry);
    else if (ok) this.delivered(entry, at, now);
    else this.failed(entry, error, at, now);
  }

  private delivered(entry: Entry, at: number, now: number): void {
    const draft = this.book.attempted(entry.effort, at, now - at, true, undefined, now);
    this.book.countDelivered();
    this.board?.recordSuccess(this.sink);
    this.book.emitAttempt(draft);
    this.culminate(entry, draft, 'delivered', now);
  }

  private failed(entry: Entry, error: unknown, at: number, now: number): void {
    const description = describeError(error);
    const draft = this.book.attempted(entry.effort, at, now - at, false, description, now);
    const retriable = isRetriable(error);
    if (!retriable || draft.retries >= this.contingency.maxRetries) {
      this.book.emitAttempt(draft);
      if (retriable || entry.trial) this.board?.recordFailure(this.sink, error);
      this.park(entry, draft, description, error instanceof Error ? error.name : undefined);
      return;
    }
    entry.backoff = entry.backoff?.next() ?? backoff(this.contingency, this.random);
    const dueAt = this.book.retryIn(draft, entry.backoff.delayMs);
    entry.effort = draft;
    this.book.emitAttempt(draft);
    this.waves.wait(entry, dueAt);
  }

  /** Parks the entry's record; `draft` is the next version of its effort (not recorded yet). */
  private park(entry: Entry, draft: Effort, error: string, errorName: string | undefined): void {
    this.book.park(entry.record, draft, error, errorName);
    this.culminate(entry, draft, 'parked');
  }

  private culminate(entry: Entry, draft: Effort, culmination: Culmination, now = this.clock.now()): void {
    const effort = this.book.culminate(draft, culmination, now);
    entry.effort = effort;
    this.settle(entry);
    this.release(entry);
    entry.resolve(effort);
    this.react(effort);
  }

  /** The entry's promise is about to settle. */
  private settle(entry: Entry): void {
    entry.settled = true;
    this.pending.settled();
  }

  /** The caller gave up on the effort: it stays `pending`, and its record is not sent again. */
  private abandon(entry: Entry, reason: unknown): void {
    if (entry.settled) return;
    this.settle(entry);
    this.waves.cancel(entry);
    // Left in the ready queue if it is there: taking a batch skips settled entries.
    entry.reject(reason);
    if (!entry.inFlight) this.release(entry);
  }

  /** The entry leaves for good: unblocks the next record of its key. */
  private release(entry: Entry): void {
    this.aborts.unwatch(entry);
    const next = this.lanes.leave(entry);
    if (next !== undefined) this.makeReady(next);
  }

  private react(effort: Effort): void {
    const reaction = this.contingency.reaction;
    if (reaction === undefined) return;
    const warn = (error: unknown) =>
      this.warn(`contingency reaction failed for effort ${effort.id} (${this.sink})`, error);
    try {
      this.pending.track(Promise.resolve(reaction(effort)).catch(warn));
    } catch (error) {
      warn(error);
    }
  }

  private disabledReason(): string {
    const status = this.board?.status(this.sink);
    const last = status?.lastError === undefined ? '' : ` (last error: ${status.lastError})`;
    return `sink ${this.sink} is disabled after repeated failures${last}`;
  }

  private warn(message: string, error: unknown): void {
    this.telemetry?.emit('warning', { message, error });
  }
}
