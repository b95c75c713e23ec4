import type { ConsumeMessage } from 'amqplib';
import type { Clock } from '../clock.js';
import { describeError } from '../errors/agentctl-error.js';
import type { RunRecord } from '../model/run-record.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { ResultOutbox } from './result-outbox.js';
import type { Delivery, TaskEndpoint } from './task-endpoint.js';
import { decodeTask, dispatchOf, encodeResult, type TaskMessage } from './task-message.js';

export interface TaskIntakeParts {
  readonly endpoint: TaskEndpoint;
  readonly outbox: ResultOutbox;
  /** Runs a task to its result; rejects only when abandoned. */
  readonly execute: (task: TaskMessage) => Promise<RunRecord>;
  /** Told when a result is in the outbox, to publish it. */
  readonly resultKept: () => void;
  /** This worker's id, recorded in its results. */
  readonly worker: string;
  readonly clock: Clock;
  readonly telemetry: Telemetry;
  /** Aborted when running tasks are abandoned (their deliveries are left unacked). */
  readonly abandon: AbortSignal;
}

/**
 * What a worker does with each task delivered to it:
 * - one it cannot read is rejected (not requeued) and counted `malformed`;
 * - a run finished here already (the kept result succeeded, or answers this very dispatch) is answered by
 *   publishing the kept result again, never run twice, and the delivery acked (`duplicates`);
 * - a delivery of a run still running here (redelivered after a reconnect) is acked with it when it ends;
 * - anything else runs. Its result goes to the outbox first; then every delivery of the task is acked.
 *   A result the outbox cannot keep is not acked, so the task comes again.
 */
export class TaskIntake {
  executed = 0;
  succeeded = 0;
  failed = 0;
  duplicates = 0;
  malformed = 0;
  private readonly running = new Map<string, Delivery[]>();
  private idle: (() => void) | undefined;

  constructor(private readonly parts: TaskIntakeParts) {}

  /** Tasks executing now. */
  get inFlight(): number {
    return this.running.size;
  }

  /** Resolves when the last running task ends (at once if none runs). */
  whenIdle(): Promise<void> {
    if (this.running.size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.idle = resolve;
    });
  }

  onTask(message: ConsumeMessage, delivery: Delivery): void {
    const { endpoint, outbox } = this.parts;
    let task: TaskMessage;
    try {
      task = decodeTask(message.content);
    } catch (error) {
      this.malformed++;
      this.parts.telemetry.emit('warning', {
        message: `rejected a task that cannot be read: ${describeError(error)}`,
      });
      endpoint.reject(delivery);
      return;
    }
    const { id, group } = task.run;
    const key = `${group}\0${id}`;
    const kept = outbox.find(group, id);
    if (kept !== undefined && (kept.state === 'succeeded' || kept.dispatch === dispatchOf(task))) {
      // Finished here already (a redelivery, or an event re-read before its result was recorded): the
      // kept result answers the task again instead of a second run. Never an ack without a result.
      outbox.publishAgain(group, id, task.results ?? endpoint.topology.results);
      this.duplicates++;
      endpoint.ack(delivery);
      this.parts.resultKept();
      return;
    }
    const running = this.running.get(key);
    if (running !== undefined) {
      running.push(delivery);
      return;
    }
    this.running.set(key, [delivery]);
    void this.parts.execute(task).then(
      (run) => this.finish(task, run),
      (error: unknown) => {
        // Abandoned (terminate): not acked, so the broker hands it out again.
        this.running.delete(key);
        if (!this.parts.abandon.aborted) {
          this.parts.telemetry.emit('warning', {
            message: `task ${id} could not run: ${describeError(error)}`,
          });
        }
        this.checkIdle();
      },
    );
  }

  private finish(task: TaskMessage, run: RunRecord): void {
    const { endpoint, outbox } = this.parts;
    const { id, group } = run;
    const key = `${group}\0${id}`;
    const deliveries = this.running.get(key) ?? [];
    try {
      const body = encodeResult({
        format: 'agentctl.result/1',
        run,
        endpoint: endpoint.topology.endpoint,
        worker: this.parts.worker,
        ...(run.state === 'failed' ? { event: task.event } : {}),
      });
      const routing = task.results ?? endpoint.topology.results;
      const kept = { group, runId: id, routing, state: run.state, dispatch: dispatchOf(task), body };
      outbox.add(kept, this.parts.clock.now());
    } catch (error) {
      this.running.delete(key);
      this.parts.telemetry.emit('warning', {
        message: `keeping the result of ${id} failed: ${describeError(error)}`,
      });
      this.checkIdle();
      return;
    }
    this.executed++;
    if (run.state === 'succeeded') this.succeeded++;
    else this.failed++;
    this.running.delete(key);
    for (const delivery of deliveries) endpoint.ack(delivery);
    this.parts.resultKept();
    this.checkIdle();
  }

  private checkIdle(): void {
    if (this.running.size > 0) return;
    const idle = this.idle;
    this.idle = undefined;
    idle?.();
  }
}
