import { hostname } from 'node:os';
import { type Clock, systemClock } from '../clock.js';
import { Stats } from '../model/stats.js';
import type { ProcessRegistry } from '../processes/process.js';
import { Telemetry } from '../telemetry/telemetry.js';
import { ResultFlusher } from './result-flusher.js';
import { ResultOutbox } from './result-outbox.js';
import { TaskEndpoint } from './task-endpoint.js';
import { executeTask } from './task-execution.js';
import { TaskIntake } from './task-intake.js';
import { drainWorker } from './worker-drain.js';

export interface WorkerServiceOptions {
  /** Broker URL, `amqp[s]://USER:PASS@HOST:PORT/VHOST`. */
  readonly url: string;
  readonly endpoint: string;
  /** The processes this worker can run, by name (the agent's config). */
  readonly processes: ProcessRegistry;
  /** The worker's own SQLite file for results (created when missing). */
  readonly outboxPath: string;
  /** Tasks executed at once, which is also the consumer's prefetch (default 4). */
  readonly concurrency?: number;
  /** The config's `adapters` (its `amqp` entry is used). */
  readonly settings?: Readonly<Record<string, unknown>>;
  readonly clock?: Clock;
  readonly telemetry?: Telemetry;
  /** Recorded as each run's `worker`; default `ENDPOINT@HOST#PID`. */
  readonly id?: string;
  /** Time running tasks get to finish when draining (default 30 s); then they are abandoned. */
  readonly drainTimeoutMs?: number;
  /** Time given to publishing the outbox when draining (default 10 s); what is left goes out next start. */
  readonly flushTimeoutMs?: number;
  /** How long published results are remembered to recognise redelivered tasks (default 24 h). */
  readonly keepPublishedMs?: number;
}

/** What a worker did, as `agentctl worker` reports it. */
export interface WorkerSummary {
  readonly worker: string;
  readonly endpoint: string;
  /** Tasks run to a result here. */
  readonly executed: number;
  readonly succeeded: number;
  readonly failed: number;
  /**
   * Tasks of runs this worker had already finished (redelivered, or dispatched again while the run's
   * success or this very dispatch's failure was kept): answered with the kept result, not run again.
   */
  readonly duplicates: number;
  /** Results confirmed by the broker. */
  readonly published: number;
  /** Results still in the outbox (published on the next start). */
  readonly waiting: number;
  /** Tasks that could not be read (rejected). */
  readonly malformed: number;
  readonly durationMs: number;
}

/** The parts of one `run`: they live as long as its outbox is open. */
interface Session {
  readonly outbox: ResultOutbox;
  readonly flusher: ResultFlusher;
  readonly intake: TaskIntake;
}

/**
 * `agentctl worker`: executes the process runs an agent's `QueueRunner` put on `<endpoint>.tasks`.
 *
 * - **Consume.** Up to `concurrency` tasks at once (the prefetch), over a `TaskEndpoint` link. The task
 *   queue is single-active-consumer unless `adapters.amqp.taskConsumers` is `shared`: a second worker on
 *   the same endpoint stands by.
 * - **Execute** with `executeRun` and the process of that name from the config (`executeTask`; a process
 *   this worker does not know fails the run, fatally).
 * - **Results** are written to the outbox (SQLite) before the task is acked (`TaskIntake`), then published
 *   to the `results` exchange (routing key: the task's `results`, the agent's own queue
 *   `<endpoint>.results.<group>`; `<endpoint>.results` for tasks of older agents) on a confirm channel, and
 *   marked published once confirmed (`ResultFlusher`). While the broker is unreachable the worker goes on
 *   with the tasks it holds and keeps their results; it publishes them after it reconnects.
 * - **A run finished here** is not run again: a task redelivered after a reconnect or a crash, or a run
 *   that succeeded here dispatched again, is answered by publishing the kept result again (results are
 *   idempotent by run id). A run that *failed* and is dispatched again (its event was re-read) runs again,
 *   as an inline runner would run it; its new result replaces the failure.
 * - **Drain** (`requestDrain`, or the `run` signal): stops taking tasks, lets running ones finish (bounded),
 *   publishes the outbox (bounded), closes (`drainWorker`). `terminate` abandons running tasks (they are
 *   redelivered).
 */
export class WorkerService {
  readonly id: string;
  readonly telemetry: Telemetry;
  readonly stats = new Stats();
  private readonly clock: Clock;
  private readonly endpoint: TaskEndpoint;
  private session: Session | undefined;
  private readonly drainRequested = new AbortController();
  private readonly abandon = new AbortController();

  constructor(private readonly options: WorkerServiceOptions) {
    this.clock = options.clock ?? systemClock;
    this.telemetry = options.telemetry ?? new Telemetry();
    const concurrency = options.concurrency ?? 4;
    this.id = options.id ?? `${options.endpoint}@${hostname()}#${process.pid}`;
    this.endpoint = new TaskEndpoint({
      side: 'worker',
      url: options.url,
      endpoint: options.endpoint,
      ...(options.settings === undefined ? {} : { settings: options.settings }),
      name: this.id,
      clock: this.clock,
      telemetry: this.telemetry,
      prefetch: concurrency,
      onMessage: (message, delivery) => this.session!.intake.onTask(message, delivery),
      reopened: () => this.session?.flusher.wake(),
    });
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 65_535) {
      throw new RangeError(`worker concurrency must be an integer from 1 to 65535, got ${concurrency}`);
    }
  }

  /** Tasks executing now. */
  get inFlight(): number {
    return this.session?.intake.inFlight ?? 0;
  }

  /** Results kept in the outbox and not yet confirmed by the broker (while `run` runs). */
  get waitingResults(): number {
    const outbox = this.session?.outbox;
    return outbox?.isOpen ? outbox.waiting : 0;
  }

  /** Stops taking tasks, finishes what runs, publishes the outbox and makes `run` return. */
  requestDrain(): void {
    this.drainRequested.abort();
  }

  /** Abandons running tasks now (they go back to the queue) and makes `run` return. */
  terminate(): void {
    this.abandon.abort(new Error('worker terminated'));
    this.drainRequested.abort();
  }

  /**
   * Works tasks until drained (`requestDrain` or `signal`) or terminated.
   * @throws SourceUnavailableError when the broker cannot be reached at start.
   */
  async run(signal?: AbortSignal): Promise<WorkerSummary> {
    const started = this.clock.now();
    const { endpoint, clock } = this;
    const session = this.open(started);
    const { outbox, flusher, intake } = session;
    const stop = () => this.requestDrain();
    signal?.addEventListener('abort', stop, { once: true });
    let flushing: Promise<void> | undefined;
    let waiting = 0;
    try {
      await endpoint.startOutgoing(signal);
      flushing = flusher.run();
      await endpoint.startIncoming(signal);
      if (!this.drainRequested.signal.aborted) {
        await new Promise<void>((resolve) =>
          this.drainRequested.signal.addEventListener('abort', () => resolve(), { once: true }),
        );
      }
      await drainWorker({
        endpoint,
        intake,
        outbox,
        flusher,
        clock,
        abandon: this.abandon,
        drainTimeoutMs: this.options.drainTimeoutMs ?? 30_000,
        flushTimeoutMs: this.options.flushTimeoutMs ?? 10_000,
      });
    } finally {
      signal?.removeEventListener('abort', stop);
      flusher.stop();
      await flushing;
      await endpoint.close();
      waiting = outbox.waiting;
      outbox.close();
    }
    return {
      worker: this.id,
      endpoint: endpoint.topology.endpoint,
      executed: intake.executed,
      succeeded: intake.succeeded,
      failed: intake.failed,
      duplicates: intake.duplicates,
      published: flusher.published,
      waiting,
      malformed: intake.malformed,
      durationMs: clock.now() - started,
    };
  }

  /** Opens the outbox (forgetting results published before `keepPublishedMs`) and the parts around it. */
  private open(now: number): Session {
    const { endpoint, clock, telemetry } = this;
    const outbox = new ResultOutbox(this.options.outboxPath, endpoint.topology.endpoint);
    outbox.prune(now - (this.options.keepPublishedMs ?? 24 * 3_600_000));
    const flusher = new ResultFlusher(endpoint, outbox, clock, telemetry, this.abandon.signal);
    const intake = new TaskIntake({
      endpoint,
      outbox,
      execute: (task) =>
        executeTask(task, {
          processes: this.options.processes,
          worker: this.id,
          clock,
          signal: this.abandon.signal,
          stats: this.stats,
          telemetry,
        }),
      resultKept: () => flusher.wake(),
      worker: this.id,
      clock,
      telemetry,
      abandon: this.abandon.signal,
    });
    this.session = { outbox, flusher, intake };
    return this.session;
  }
}
