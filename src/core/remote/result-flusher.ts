import { Alarm, type Clock } from '../clock.js';
import { describeError } from '../errors/agentctl-error.js';
import { type Backoff, backoff } from '../retry/backoff.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { ResultOutbox } from './result-outbox.js';
import type { TaskEndpoint } from './task-endpoint.js';
import { resultOutgoing } from './task-topology.js';

/** Results published per confirm batch. */
const FLUSH_BATCH = 200;

/**
 * Publishes a worker's outbox: whenever it holds results and the broker is there, in batches on the
 * endpoint's confirm channel, marking each result published once confirmed. Failures keep the results
 * in the outbox and back off (warning each time). Sleeps between rounds until woken (`wake`: a new
 * result, a reopened channel) or a second passed. After `stop` it empties the outbox and ends, or ends
 * at the first failure; `abandon` aborts publishes under way.
 */
export class ResultFlusher {
  private readonly alarm = new Alarm();
  private readonly stopping = new AbortController();
  private confirmed = 0;

  constructor(
    private readonly endpoint: TaskEndpoint,
    private readonly outbox: ResultOutbox,
    private readonly clock: Clock,
    private readonly telemetry: Telemetry,
    private readonly abandon: AbortSignal,
  ) {}

  /** Results confirmed by the broker. */
  get published(): number {
    return this.confirmed;
  }

  /** Ends a sleep between rounds now. */
  wake(): void {
    this.alarm.wake();
  }

  /** Makes `run` return once the outbox is empty or a publish fails. */
  stop(): void {
    this.stopping.abort();
    this.alarm.wake();
  }

  async run(): Promise<void> {
    let wait: Backoff = fresh();
    const stop = this.stopping.signal;
    for (;;) {
      const batch = this.outbox.pending(FLUSH_BATCH);
      if (batch.length === 0) {
        if (stop.aborted) return;
        await this.nap(1_000);
        continue;
      }
      const messages = batch.map((entry) => resultOutgoing(entry.routing, entry.runId, entry.body));
      const outcomes = await this.endpoint.publish(messages, stop.aborted ? undefined : this.abandon);
      const confirmed = batch.filter((_, i) => outcomes[i] === undefined);
      if (confirmed.length > 0) {
        this.outbox.published(confirmed, this.clock.now());
        this.confirmed += confirmed.length;
      }
      if (confirmed.length === batch.length) {
        wait = fresh();
        continue;
      }
      if (stop.aborted || this.abandon.aborted) return;
      const failure = outcomes.find((o) => o !== undefined);
      this.telemetry.emit('warning', {
        message: `${batch.length - confirmed.length} result(s) kept in the outbox (${describeError(failure)}); retrying in ${wait.delayMs} ms`,
      });
      await this.nap(wait.delayMs);
      wait = wait.next();
    }
  }

  private nap(ms: number): Promise<void> {
    return this.alarm.wait(ms, this.clock);
  }
}

function fresh(): Backoff {
  return backoff({ kind: 'exponential', baseMs: 200, maxMs: 5_000, jitter: 0.2 });
}
