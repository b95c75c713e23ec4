import { type Message, withPayload } from '../types.js';
import type { ProcessingStrategy } from './processing-strategy.js';

/**
 * Replaces each payload with `fn(message)` and forwards the derived message (`withPayload`: same
 * coordinates, raw bytes and attributes). Synchronous and order-preserving; `poll` returns what the next
 * step's does. Named `MapStrategy` so it does not shadow the global `Map`; for asynchronous work use
 * `RunTask`.
 *
 * @throws from `submit`: whatever `fn` throws, untouched (an `InvalidMessage` reaches `DeadLetter` as
 *   is), and `MessageRejected` from the next step (the caller submits again and `fn` runs again, so keep
 *   it free of side effects).
 */
export class MapStrategy<T, U> implements ProcessingStrategy<T> {
  private closed = false;
  private terminated = false;

  constructor(
    private readonly fn: (message: Message<T>) => U,
    private readonly next: ProcessingStrategy<U>,
  ) {}

  submit(message: Message<T>): void {
    if (this.closed) throw new Error('MapStrategy: submit after close');
    this.next.submit(withPayload(message, this.fn(message)));
  }

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
