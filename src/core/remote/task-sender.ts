import { describeError } from '../errors/agentctl-error.js';
import { type Backoff, backoff } from '../retry/backoff.js';
import type { RunnerContext } from '../runners/runner.js';
import type { OutgoingMessage } from '../transports/amqp/confirmed-publisher.js';
import type { SignalGuard } from './signal-guard.js';
import type { TaskEndpoint } from './task-endpoint.js';

/**
 * Sends the queue runner's tasks: `send` resolves once the broker confirmed the task and, until then,
 * publishes it again with backoff (through reconnects), warning at each failure; it rejects only when
 * `signal` aborts. Tasks sent in the same tick are published together (one confirm batch).
 */
export class TaskSender {
  private outbox: { message: OutgoingMessage; resolve: (failure: Error | undefined) => void }[] = [];
  private scheduled = false;

  constructor(
    private readonly endpoint: TaskEndpoint,
    private readonly context: Pick<RunnerContext, 'clock' | 'telemetry'>,
    private readonly guard: SignalGuard,
    /** Aborted when the runner closes: ends the waits between attempts. */
    private readonly stop: AbortSignal,
  ) {}

  async send(message: OutgoingMessage, runId: string, signal: AbortSignal): Promise<void> {
    let wait: Backoff = backoff({ kind: 'exponential', baseMs: 200, maxMs: 5_000, jitter: 0.2 });
    for (;;) {
      const failure = await this.guard.guard(this.enqueue(message), signal);
      if (failure === undefined) return;
      this.context.telemetry?.emit('warning', {
        message: `task ${runId} not confirmed by ${this.endpoint.display} (${describeError(failure)}); retrying in ${wait.delayMs} ms`,
      });
      await this.guard.guard(this.context.clock.sleep(wait.delayMs, this.stop), signal);
      wait = wait.next();
    }
  }

  /** Publishes with the messages enqueued in the same tick; resolves with this one's outcome. */
  private enqueue(message: OutgoingMessage): Promise<Error | undefined> {
    return new Promise((resolve) => {
      this.outbox.push({ message, resolve });
      if (this.scheduled) return;
      this.scheduled = true;
      queueMicrotask(() => {
        this.scheduled = false;
        const batch = this.outbox;
        this.outbox = [];
        void this.endpoint.publish(batch.map((b) => b.message)).then(
          (outcomes) => {
            for (let i = 0; i < batch.length; i++) batch[i]!.resolve(outcomes[i]);
          },
          (error: unknown) => {
            for (const b of batch) b.resolve(error instanceof Error ? error : new Error(String(error)));
          },
        );
      });
    });
  }
}
