import { Alarm, type Clock } from '../../clock.js';
import { Fifo } from '../../fifo.js';

/**
 * The FIFO between a push consumer (amqplib delivers on its own schedule) and `Source.poll` (which takes
 * when the processor asks). Bounded by the consumer's prefetch, so it needs no limit of its own.
 */
export class DeliveryInbox<T> {
  private readonly items = new Fifo<T>();
  private readonly alarm = new Alarm();

  get size(): number {
    return this.items.size;
  }

  push(item: T): void {
    this.items.push(item);
    this.wake();
  }

  /** Takes up to `max` items, oldest first. */
  take(max: number): T[] {
    return this.items.take(max);
  }

  /** Removes everything and returns it. */
  clear(): T[] {
    return this.items.clear();
  }

  /** Removes the items `drop` selects; returns them. */
  remove(drop: (item: T) => boolean): T[] {
    return this.items.remove(drop);
  }

  /** Resolves when an item arrives or `wake` is called, after `ms`, or when `signal` aborts. Never rejects. */
  wait(ms: number, clock: Clock, signal?: AbortSignal): Promise<void> {
    return this.items.size > 0 ? Promise.resolve() : this.alarm.wait(ms, clock, signal);
  }

  /**
   * Waits as `wait` does, and also ends when `answer` settles: `answer`'s value, or undefined when an item
   * is there (the answer is then dropped). `answer` must not reject.
   */
  async waitOr<A>(
    answer: Promise<A>,
    ms: number,
    clock: Clock,
    signal?: AbortSignal,
  ): Promise<A | undefined> {
    const answered = new AbortController();
    const settled = answer.finally(() => answered.abort());
    await this.wait(
      ms,
      clock,
      signal === undefined ? answered.signal : AbortSignal.any([signal, answered.signal]),
    );
    return this.items.size > 0 ? undefined : await settled;
  }

  /** Ends a `wait` now. */
  wake(): void {
    this.alarm.wake();
  }
}
