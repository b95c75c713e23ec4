import type { Message } from '../../types.js';
import { ForwardingStrategy } from '../forwarding-strategy.js';
import type { Commit, ProcessingStrategy } from '../processing-strategy.js';

/**
 * Forwards the messages `predicate` accepts and marks the others done with outcome `'filtered'`, so the
 * checkpoint moves over them. Synchronous and order-preserving; `poll` returns what the next step's does.
 *
 * @throws from `submit`: whatever `predicate` throws, and `MessageRejected` from the next step (the
 *   caller submits the message again; `predicate` runs again, so keep it pure).
 */
export class Filter<T> extends ForwardingStrategy<T, T> {
  constructor(
    private readonly predicate: (message: Message<T>) => boolean,
    private readonly commit: Commit,
    next: ProcessingStrategy<T>,
  ) {
    super(next);
  }

  submit(message: Message<T>): void {
    if (this.closed) throw new Error('Filter: submit after close');
    if (this.predicate(message)) this.next.submit(message);
    else this.commit(message, 'filtered');
  }
}
