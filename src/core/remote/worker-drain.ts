import type { Clock } from '../clock.js';
import type { ResultFlusher } from './result-flusher.js';
import type { ResultOutbox } from './result-outbox.js';
import type { TaskEndpoint } from './task-endpoint.js';
import type { TaskIntake } from './task-intake.js';

export interface WorkerDrainParts {
  readonly endpoint: TaskEndpoint;
  readonly intake: TaskIntake;
  readonly outbox: ResultOutbox;
  readonly flusher: ResultFlusher;
  readonly clock: Clock;
  /** Aborted here when running tasks outlast `drainTimeoutMs` (or already, by `terminate`). */
  readonly abandon: AbortController;
  readonly drainTimeoutMs: number;
  readonly flushTimeoutMs: number;
}

/**
 * A worker's drain: takes no more tasks (the consumer is cancelled), gives running tasks
 * `drainTimeoutMs` to finish and abandons the rest (unacked, they are redelivered), then gives the
 * outbox `flushTimeoutMs` to be published; what is left goes out at the next start.
 */
export async function drainWorker(parts: WorkerDrainParts): Promise<void> {
  const { intake, clock, abandon } = parts;
  await parts.endpoint.stopConsuming();
  const drainBy = clock.now() + parts.drainTimeoutMs;
  while (intake.inFlight > 0 && !abandon.signal.aborted) {
    const left = drainBy - clock.now();
    if (left <= 0) {
      abandon.abort(new Error('drain timed out'));
      break;
    }
    await Promise.race([intake.whenIdle(), clock.sleep(Math.min(left, 100)).catch(() => undefined)]);
  }
  const flushBy = clock.now() + parts.flushTimeoutMs;
  while (!abandon.signal.aborted && parts.outbox.waiting > 0 && clock.now() < flushBy) {
    parts.flusher.wake();
    await clock.sleep(25);
  }
}
