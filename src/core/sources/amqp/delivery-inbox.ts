import type { Clock } from '../../clock.js';

/** The reason a wait's timer is cancelled with (a constant: `abort()` without one builds a DOMException). */
const WOKEN = new Error('woken');

/**
 * The FIFO between a push consumer (amqplib delivers on its own schedule) and `Source.poll` (which takes
 * when the processor asks). Bounded by the consumer's prefetch, so it needs no limit of its own.
 */
export class DeliveryInbox<T> {
  private items: T[] = [];
  private head = 0;
  private wakeUp: (() => void) | undefined;

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
    this.wake();
  }

  /** Takes up to `max` items, oldest first. */
  take(max: number): T[] {
    const end = Math.min(this.items.length, this.head + max);
    const taken = this.items.slice(this.head, end);
    this.head = end;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return taken;
  }

  /** Removes everything and returns it. */
  clear(): T[] {
    const all = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return all;
  }

  /** Removes the items `drop` selects; returns them. */
  remove(drop: (item: T) => boolean): T[] {
    const kept: T[] = [];
    const dropped: T[] = [];
    for (let i = this.head; i < this.items.length; i++) {
      const item = this.items[i]!;
      (drop(item) ? dropped : kept).push(item);
    }
    this.items = kept;
    this.head = 0;
    return dropped;
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
