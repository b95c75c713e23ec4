import type { Message } from '../types.js';
import type { Commit, ProcessingStrategy } from './processing-strategy.js';

/**
 * Forwards the messages `predicate` accepts and marks the others done with outcome `'filtered'`, so the
 * checkpoint moves over them. Synchronous and order-preserving; `poll` returns what the next step's does.
 *
 * @throws from `submit`: whatever `predicate` throws, and `MessageRejected` from the next step (the
 *   caller submits the message again; `predicate` runs again, so keep it pure).
 */
export class Filter<T> implements ProcessingStrategy<T> {
  private closed = false;
  private terminated = false;

  constructor(
    private readonly predicate: (message: Message<T>) => boolean,
    private readonly commit: Commit,
    private readonly next: ProcessingStrategy<T>,
  ) {}

  submit(message: Message<T>): void {
    if (this.closed) throw new Error('Filter: submit after close');
    if (this.predicate(message)) this.next.submit(message);
    else this.commit(message, 'filtered');
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
