import type { Message } from '../types.js';
import type { ProcessingStrategy } from './processing-strategy.js';

/**
 * What a transforming step forwarded last and the next step refused, so that the same message submitted
 * again (after `MessageRejected`) is forwarded as is instead of being transformed twice: transforms may
 * be costly or record things. Holds at most one message; allocates nothing.
 *
 * Usage in `submit`: `const out = carried.resultFor(message) ?? transform(message);
 * carried.forward(message, out, next);`.
 */
export class CarriedTransform<S, D> {
  private source: Message<S> | undefined;
  private result: Message<D> | undefined;

  /** The result kept for `message` (the very object last refused), or `undefined` for any other. */
  resultFor(message: Message<S>): Message<D> | undefined {
    return this.source === message ? this.result : undefined;
  }

  /**
   * Submits `result`, made from `message`, to `next`. Forgets the kept result when `next` takes it;
   * keeps `result` for `message` when `next` throws anything, and rethrows.
   */
  forward(message: Message<S>, result: Message<D>, next: ProcessingStrategy<D>): void {
    try {
      next.submit(result);
    } catch (error) {
      this.source = message;
      this.result = result;
      throw error;
    }
    this.source = undefined;
    this.result = undefined;
  }

  /** Forgets the kept result (on `terminate`). */
  clear(): void {
    this.source = undefined;
    this.result = undefined;
  }
}
