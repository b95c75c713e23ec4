import type { Message } from '../types.js';
import type { ProcessingStrategy } from './processing-strategy.js';

/**
 * The lifecycle of a synchronous step that holds no work of its own: whatever it accepts is with the
 * next step by the time `submit` returns. Subclasses implement `submit` (throwing while `closed`) and
 * forward to `next`; the rest passes through:
 *
 * - `poll` returns what the next step's does; after `terminate`, `undefined` without polling it.
 * - `close` only stops `submit`; the next step is closed by `join`, which then joins it with the same
 *   timeout (there is nothing of this step's own to finish first).
 * - `terminate` terminates the next step once, however often it is called.
 *
 * A subclass that overrides `poll` or `terminate` calls `super` to keep this.
 */
export abstract class ForwardingStrategy<T, U> implements ProcessingStrategy<T> {
  /** Set by `close`, `join` and `terminate`; `submit` must throw (not `MessageRejected`) once it is. */
  protected closed = false;
  /** Set by `terminate`. */
  protected terminated = false;

  constructor(protected readonly next: ProcessingStrategy<U>) {}

  abstract submit(message: Message<T>): void;

  poll(): Promise<void> | undefined {
    return this.terminated ? undefined : this.next.poll();
  }

  close(): void {
    this.closed = true;
  }

  join(timeoutMs?: number): Promise<void> {
    this.closed = true;
    this.next.close();
    return this.next.join(timeoutMs);
  }

  terminate(): void {
    if (this.terminated) return;
    this.terminated = true;
    this.closed = true;
    this.next.terminate();
  }
}
