import type { Clock } from '../../clock.js';
import type { Message } from '../../types.js';
import type { ProcessingStrategy } from '../processing-strategy.js';
import { Reduce } from './reduce.js';

export interface BatchOptions {
  /** Flushes once this many messages are batched (≥ 1). */
  readonly maxSize: number;
  /** Flushes at the first `poll` this long after the first message of the batch. */
  readonly maxWaitMs: number;
  /** Measures `maxWaitMs` and bounds `join`. Default: the system clock. */
  readonly clock?: Clock;
}

/**
 * Gathers messages into a `Message<readonly Message<T>[]>` whose `covers` is the union of its members'
 * offsets; its partition, position and timestamp are those of its last member, `raw` is empty. Flushes
 * on size, on time (checked in `poll`) and on `join`; `Unbatch` undoes it.
 *
 * It is a `Reduce` that appends to an array: same ordering, blocking and errors (`submit` throws
 * `MessageRejected` while a flushed batch waits for the next step).
 */
export class Batch<T> extends Reduce<T, Message<T>[]> {
  constructor(options: BatchOptions, next: ProcessingStrategy<readonly Message<T>[]>) {
    super(
      {
        initial: () => [],
        accumulate: (members, message) => {
          members.push(message);
          return members;
        },
        maxSize: options.maxSize,
        maxWaitMs: options.maxWaitMs,
        ...(options.clock === undefined ? {} : { clock: options.clock }),
      },
      next,
    );
  }
}
