import { type Message, withPayload } from '../../types.js';
import { ForwardingStrategy } from '../forwarding-strategy.js';
import type { ProcessingStrategy } from '../processing-strategy.js';

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
export class MapStrategy<T, U> extends ForwardingStrategy<T, U> {
  constructor(
    private readonly fn: (message: Message<T>) => U,
    next: ProcessingStrategy<U>,
  ) {
    super(next);
  }

  submit(message: Message<T>): void {
    if (this.closed) throw new Error('MapStrategy: submit after close');
    this.next.submit(withPayload(message, this.fn(message)));
  }
}
