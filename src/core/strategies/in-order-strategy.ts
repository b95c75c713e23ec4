import type { Message } from '../types.js';
import { type InOrderEntry, InOrderQueue } from './in-order-queue.js';
import type { ProcessingStrategy } from './processing-strategy.js';
import { ProgressSignal } from './progress-signal.js';

/** Longest wait between two rounds of `join`, in case progress goes unnoticed. */
const ROUND_MS = 50;

/**
 * The lifecycle of a step whose work finishes asynchronously, in any order, and whose messages leave in
 * the order they came (or, unordered, as soon as each is finished), through `queue`. Subclasses push an entry per message in `submit` (throwing while
 * `closed`), settle it (`done`, and `error` when the work failed) then call `progress.notify()`; they
 * say how an entry is forwarded and when `poll` must wait. The rest is shared:
 *
 * - `poll` runs `step` (forwarding finished entries), polls the next step, and returns a promise while
 *   `mustWait()` and the oldest entry's work is under way; it settles after that work settled (and the
 *   next step's, if it returned a promise) and this step was polled again. Otherwise it returns what the
 *   next step's `poll` did: once the oldest entry is done and only the next step holds it back, nothing
 *   of ours would wake the caller, who must poll again instead.
 * - `join` steps and polls (awaiting the next step) until the queue is empty, waiting for progress in
 *   between. When `timeoutMs` runs out first it `abandon`s what is left. Either way it then closes the
 *   next step and joins it with the time left. Errors of `step` and the next step propagate; the caller
 *   may join again.
 * - `terminate` abandons the work and terminates the next step.
 */
export abstract class InOrderStrategy<T, E extends InOrderEntry, U> implements ProcessingStrategy<T> {
  protected readonly queue: InOrderQueue<E>;
  /** Notified by the subclass whenever work settles; `poll` and `join` wait on it. */
  protected readonly progress = new ProgressSignal();
  /** Set by `close`, `join` and `terminate`; `submit` must throw (not `MessageRejected`) once it is. */
  protected closed = false;

  /**
   * @param ordered false: a finished message is forwarded at once, not after the ones before it (for a
   *   source that settles each message; see `StrategyContext.ordered`).
   */
  constructor(
    protected readonly next: ProcessingStrategy<U>,
    ordered = true,
  ) {
    this.queue = new InOrderQueue<E>((entry) => this.forward(entry), ordered);
  }

  abstract submit(message: Message<T>): void;

  /** Submits the message of a finished entry to the next step; throws what the next step throws. */
  protected abstract forward(entry: E): void;

  /**
   * Whether `poll` makes the caller wait while the oldest entry's work is under way (the queue is full,
   * or the caller's own loop runs the work).
   */
  protected abstract mustWait(): boolean;

  /** Gives up the work under way and clears the queue; its messages are not done (redelivered). */
  protected abstract abandon(reason: unknown): void;

  /** The time `join` measures its timeout with. */
  protected abstract now(): number;

  /** Forwards finished entries; a subclass that also starts work here calls `queue.forwardReady()`. */
  protected step(): void {
    this.queue.forwardReady();
  }

  poll(): Promise<void> | undefined {
    this.step();
    const downstream = this.next.poll();
    const oldest = this.queue.oldest;
    if (oldest === undefined || oldest.done || !this.mustWait()) return downstream;
    return this.progress.wait(downstream).then(() => this.poll());
  }

  close(): void {
    this.closed = true;
  }

  async join(timeoutMs?: number): Promise<void> {
    this.closed = true;
    const deadline = timeoutMs === undefined ? Number.POSITIVE_INFINITY : this.now() + timeoutMs;
    while (this.queue.size > 0) {
      this.step();
      const downstream = this.next.poll();
      if (downstream) await downstream;
      if (this.queue.size === 0) break;
      const left = deadline - this.now();
      if (left <= 0) {
        this.abandon(new Error('abandoned: join timed out'));
        break;
      }
      await Promise.race([this.progress.wait(), delay(Math.min(left, ROUND_MS))]);
    }
    this.next.close();
    await this.next.join(timeoutMs === undefined ? undefined : Math.max(0, deadline - this.now()));
  }

  terminate(): void {
    this.closed = true;
    this.abandon(new Error('terminated'));
    this.next.terminate();
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
