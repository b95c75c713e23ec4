import { SLEEP_CANCELLED } from '../clock.js';
import type { RunnerContext } from '../runners/runner.js';
import type { DispatchBook } from './dispatch-book.js';
import type { ResultCollector } from './result-collector.js';
import type { TaskEndpoint } from './task-endpoint.js';

/** What a closing queue runner waits with. */
export interface ResultWaitParts {
  readonly endpoint: TaskEndpoint;
  readonly collector: ResultCollector;
  readonly book: DispatchBook;
  readonly context: Pick<RunnerContext, 'clock' | 'telemetry'>;
  /** The agent (consumer group), named in the warnings. */
  readonly group: string;
  /** The runner's start, still under way perhaps: waited for (within `resultWaitMs`) first. */
  readonly starting: Promise<void> | undefined;
}

/**
 * Records, before the queue runner closes, the results of this session's runs and those that earlier
 * sessions left on the results queue (as many as were waiting when it began: an agent of the same
 * group dispatching meanwhile cannot keep it here). Waits as long as results keep coming in; after
 * `adapters.amqp.resultWaitMs` without one it gives up and warns how many runs stay pending.
 */
export async function awaitResults(parts: ResultWaitParts): Promise<void> {
  const { endpoint, collector, book, context } = parts;
  const { clock } = context;
  const waitMs = endpoint.settings.resultWaitMs;
  let heard = collector.received;
  let heardAt = clock.now();
  let backlogUntil: number | undefined;
  let waiting: number | undefined;
  const quiet = new AbortController();
  await Promise.race([
    parts.starting?.catch(() => undefined),
    clock.sleep(waitMs, quiet.signal).catch(() => undefined),
  ]);
  quiet.abort(SLEEP_CANCELLED);
  for (;;) {
    await collector.record();
    // Asked on the consuming channel, so deliveries sent before the answer are held already.
    waiting = await endpoint.waiting();
    if (waiting !== undefined && backlogUntil === undefined) backlogUntil = collector.received + waiting;
    const caughtUp = waiting === 0 || (backlogUntil !== undefined && collector.received >= backlogUntil);
    if (book.awaitingResults === 0 && caughtUp && collector.held === 0) return;
    if (collector.received !== heard) {
      heard = collector.received;
      heardAt = clock.now();
    }
    if (clock.now() - heardAt >= waitMs || endpoint.state === 'closed') break;
    await clock.sleep(25);
  }
  await collector.record();
  const pending = book.awaitingResults;
  const { topology } = endpoint;
  const where = `the next agent "${parts.group}" on endpoint ${topology.endpoint} records`;
  if (pending > 0) {
    context.telemetry?.emit('warning', {
      message: `${pending} run(s) stay pending: no result came from the workers for ${waitMs} ms (adapters.amqp.resultWaitMs); ${where} their results`,
    });
  } else if (waiting !== 0) {
    context.telemetry?.emit('warning', {
      message: `results of earlier runs still wait on ${topology.results}; ${where} them`,
    });
  }
}
