import { setMaxListeners } from 'node:events';
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import type { Publisher, PublishRecord } from '../publish/publisher.js';
import type { Message } from '../types.js';
import { InOrderStrategy } from './in-order-strategy.js';
import { MessageRejected, type ProcessingStrategy } from './processing-strategy.js';

export interface ProduceOptions<T> {
  /** The records a message publishes (none: the message passes straight through, in order). */
  readonly recordsOf: (payload: T) => readonly PublishRecord[];
  /** Messages with efforts under way before `submit` rejects (default 1000). */
  readonly maxInFlight?: number;
  readonly clock?: Clock;
  /** False: forward each message once its efforts culminated, not after the ones before it. */
  readonly ordered?: boolean;
}

interface Entry<T> {
  readonly message: Message<T>;
  done: boolean;
  error?: unknown;
}

/**
 * Publishes each message's records through the `Publisher` and forwards the message, in order, once
 * every effort culminated. A record the publisher could not deliver is parked by the publisher itself
 * (reason `publish`), so the message is still done: replay delivers the record later. Many efforts run at
 * once (the publisher batches them); `poll()` returns a promise only when `maxInFlight` is reached and
 * the oldest message's efforts are still under way. A `join` that times out abandons the efforts under
 * way (their messages are not done, so they are redelivered) and still closes and joins the next step.
 */
export class Produce<T> extends InOrderStrategy<T, Entry<T>, T> {
  private readonly controller = new AbortController();
  private readonly maxInFlight: number;
  private readonly clock: Clock;

  constructor(
    private readonly publisher: Publisher,
    private readonly options: ProduceOptions<T>,
    next: ProcessingStrategy<T>,
  ) {
    super(next, options.ordered ?? true);
    this.maxInFlight = options.maxInFlight ?? 1000;
    this.clock = options.clock ?? systemClock;
    // Every effort in flight listens to this signal (up to `maxInFlight` of them): not a leak.
    setMaxListeners(0, this.controller.signal);
  }

  submit(message: Message<T>): void {
    if (this.closed) throw new Error('Produce is closed');
    const records = this.options.recordsOf(message.payload);
    if (records.length === 0 && (this.queue.size === 0 || this.options.ordered === false)) {
      this.next.submit(message);
      return;
    }
    if (this.queue.size >= this.maxInFlight) throw new MessageRejected();
    const entry: Entry<T> = { message, done: records.length === 0 };
    this.queue.push(entry);
    if (records.length > 0) {
      const signal = this.controller.signal;
      Promise.all(records.map((r) => this.publisher.publish(r, signal))).then(
        () => this.settle(entry),
        (error: unknown) => this.settle(entry, error),
      );
    }
  }

  protected forward(entry: Entry<T>): void {
    this.next.submit(entry.message);
  }

  /** Waiting helps only while the oldest message's efforts are under way and no more may start. */
  protected mustWait(): boolean {
    return this.queue.size >= this.maxInFlight;
  }

  /** Gives up on the efforts under way (they stay pending, and are not sent again) and their messages. */
  protected abandon(reason: unknown): void {
    this.controller.abort(reason);
    this.queue.clear();
  }

  protected now(): number {
    return this.clock.now();
  }

  private settle(entry: Entry<T>, error?: unknown): void {
    entry.done = true;
    if (error !== undefined && !this.controller.signal.aborted) entry.error = error;
    this.progress.notify();
  }
}
