import type { Message } from '../types.js';
import type { Dispatch } from './dispatch.js';
import { ForwardingStrategy } from './forwarding-strategy.js';
import { InvalidMessage } from './processing-strategy.js';

/**
 * Parks an event one of whose runs failed — after the runs that succeeded have had their records
 * published (it sits behind `Produce`), so a partial failure never withholds a result. The event becomes
 * an `InvalidMessage` with reason `process`, naming the failed run; a replay re-runs only what failed
 * (succeeded runs are skipped by id). Synchronous; keeps order.
 */
export class ParkFailedRuns extends ForwardingStrategy<Dispatch, Dispatch> {
  submit(message: Message<Dispatch>): void {
    if (this.closed) throw new Error('ParkFailedRuns is closed');
    const failed = message.payload.runs.find((r) => r.state === 'failed');
    if (failed === undefined) {
      this.next.submit(message);
      return;
    }
    throw new InvalidMessage(message, 'process', {
      cause: new Error(failed.error ?? 'run failed'),
      rule: failed.rule,
      process: failed.process,
      runId: failed.id,
      attempts: failed.attempts,
    });
  }
}
