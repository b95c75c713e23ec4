import type { Message } from '../../types.js';
import type { ProcessingStrategy } from '../processing-strategy.js';
import { RunTaskConcurrently } from './run-task-concurrently.js';

/**
 * Runs `fn` on one message at a time, inline: the simple step for ordered work and for tests.
 *
 * - `submit` calls `fn` at once. A synchronous result is forwarded before `submit` returns (no promise is
 *   made); a synchronous throw propagates and the message is not taken. If the next step rejects the
 *   result, it is held and forwarded by `poll` — `fn` is never called twice for one message.
 * @throws MessageRejected while a returned promise is unsettled or a result is held.
 *
 * - `poll` forwards a held result, throws the rejection of the task (then the strategy is free again),
 *   polls the next step, and returns a promise while a task runs: the caller awaits it before submitting
 *   more.
 * - `join(timeoutMs)` waits for the running task within the timeout (measured with the system clock;
 *   use `RunTaskConcurrently` with `concurrency: 1` to inject a clock).
 *
 * It is `RunTaskConcurrently` with a window of one, so both share one tested implementation.
 */
export class RunTask<T, U> extends RunTaskConcurrently<T, U> {
  constructor(fn: (message: Message<T>) => U | Promise<U>, next: ProcessingStrategy<U>) {
    super(fn, { concurrency: 1 }, next);
  }
}
