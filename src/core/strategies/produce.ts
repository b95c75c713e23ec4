import { setMaxListeners } from 'node:events';
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import type { Publisher, PublishRecord } from '../publish/publisher.js';
import type { Message } from '../types.js';
import { InvalidMessage, MessageRejected, type ProcessingStrategy } from './processing-strategy.js';

export interface ProduceOptions<T> {
  /** The records a message publishes (none: the message passes straight through, in order). */
  readonly recordsOf: (payload: T) => readonly PublishRecord[];
  /** Messages with efforts under way before `submit` rejects (default 1000). */
  readonly maxInFlight?: number;
  readonly clock?: Clock;
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
export class Produce<T> implements ProcessingStrategy<T> {
  private readonly queue: Entry<T>[] = [];
  private head = 0;
  private closed = false;
  private readonly controller = new AbortController();
  private waiters: (() => void)[] = [];
  private readonly maxInFlight: number;
  private readonly clock: Clock;

  constructor(
    private readonly publisher: Publisher,
    private readonly options: ProduceOptions<T>,
    private readonly next: ProcessingStrategy<T>,
  ) {
    this.maxInFlight = options.maxInFlight ?? 1000;
    this.clock = options.clock ?? systemClock;
    // Every effort in flight listens to this signal (up to `maxInFlight` of them): not a leak.
    setMaxListeners(0, this.controller.signal);
  }

  submit(message: Message<T>): void {
    if (this.closed) throw new Error('Produce is closed');
    const records = this.options.recordsOf(message.payload);
    if (records.length === 0 && this.head === this.queue.length) {
      this.next.submit(message);
      return;
    }
    if (this.queue.length - this.head >= this.maxInFlight) throw new MessageRejected();
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

  poll(): Promise<void> | undefined {
    this.forwardReady();
    const downstream = this.next.poll();
    // Waiting helps only while the oldest message's efforts are under way; once it culminated and the next
    // step rejected it, nothing of ours would wake the caller.
    const oldest = this.queue[this.head];
    if (this.queue.length - this.head < this.maxInFlight || oldest === undefined || oldest.done)
      return downstream;
    const progress = new Promise<void>((resolve) => this.waiters.push(resolve));
    return (downstream === undefined ? progress : Promise.all([downstream, progress])).then(() =>
      this.poll(),
    );
  }

  close(): void {
    this.closed = true;
  }

  async join(timeoutMs?: number): Promise<void> {
    this.closed = true;
    const deadline = timeoutMs === undefined ? Number.POSITIVE_INFINITY : this.clock.now() + timeoutMs;
    while (this.head < this.queue.length) {
      this.forwardReady();
      const downstream = this.next.poll();
      if (downstream) await downstream;
      if (this.head >= this.queue.length) break;
      const left = deadline - this.clock.now();
      if (left <= 0) {
        this.abandon();
        break;
      }
      await Promise.race([
        new Promise<void>((resolve) => this.waiters.push(resolve)),
        new Promise<void>((resolve) => setTimeout(resolve, Math.min(left, 50))),
      ]);
    }
    this.next.close();
    await this.next.join(timeoutMs === undefined ? undefined : Math.max(0, deadline - this.clock.now()));
  }

  terminate(): void {
    this.closed = true;
    this.abandon(new Error('terminated'));
    this.next.terminate();
  }

  /** Gives up on the efforts under way (they stay pending, and are not sent again) and their messages. */
  private abandon(reason: unknown = new Error('abandoned: join timed out')): void {
    this.controller.abort(reason);
    this.queue.length = 0;
    this.head = 0;
  }

  private settle(entry: Entry<T>, error?: unknown): void {
    entry.done = true;
    if (error !== undefined && !this.controller.signal.aborted) entry.error = error;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  private advance(): void {
    this.head++;
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    }
  }

  private forwardReady(): void {
    while (this.head < this.queue.length) {
      const entry = this.queue[this.head]!;
      if (!entry.done) return;
      if (entry.error !== undefined) throw entry.error;
      try {
        this.next.submit(entry.message);
      } catch (error) {
        if (error instanceof MessageRejected) return;
        // The message is taken (a later step parked it): move on.
        if (error instanceof InvalidMessage) this.advance();
        throw error;
      }
      this.advance();
    }
  }
}
