import type { Clock } from '../../clock.js';
import { Fifo } from '../../fifo.js';

/** The reason a wait's timer is cancelled with (a constant: `abort()` without one builds a DOMException). */
const WOKEN = new Error('woken');

/**
 * The FIFO between a push consumer (amqplib delivers on its own schedule) and `Source.poll` (which takes
 * when the processor asks). Bounded by the consumer's prefetch, so it needs no limit of its own.
 */
export class DeliveryInbox<T> {
  private readonly items = new Fifo<T>();
  private wakeUp: (() => void) | undefined;

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
  async wait(ms: number, clock: Clock, signal?: AbortSignal): Promise<void> {
    if (this.size > 0 || signal?.aborted) return;
    const stop = new AbortController();
    const onAbort = () => stop.abort(WOKEN);
    signal?.addEventListener('abort', onAbort, { once: true });
    const arrived = new Promise<void>((resolve) => {
      this.wakeUp = resolve;
    });
    try {
      await Promise.race([arrived, clock.sleep(ms, stop.signal).catch(() => undefined)]);
    } finally {
      this.wakeUp = undefined;
      stop.abort(WOKEN);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Ends a `wait` now. */
  wake(): void {
    const wakeUp = this.wakeUp;
    this.wakeUp = undefined;
    wakeUp?.();
  }
}
