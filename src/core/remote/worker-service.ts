import { hostname } from 'node:os';
import type { Message as AmqpMessage, Channel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import { Alarm, type Clock, systemClock } from '../clock.js';
import { describeError } from '../errors/agentctl-error.js';
import { FatalError } from '../errors/fatal-error.js';
import type { CloudEvent } from '../events/cloud-event.js';
import type { RunRecord } from '../model/run-record.js';
import { Stats } from '../model/stats.js';
import type { ProcessDefinition, ProcessRegistry } from '../processes/process.js';
import { executeRun } from '../processes/process-executor.js';
import { type Backoff, backoff } from '../retry/backoff.js';
import { Telemetry } from '../telemetry/telemetry.js';
import { ManagedChannel } from '../transports/amqp/amqp-channel.js';
import { AmqpConnection } from '../transports/amqp/amqp-connection.js';
import { type AmqpSettings, amqpSettingsOf } from '../transports/amqp/amqp-settings.js';
import { parseAmqpUri } from '../transports/amqp/amqp-uri.js';
import { closeQuietly } from '../transports/amqp/close-quietly.js';
import { ConfirmedPublisher, type OutgoingMessage } from '../transports/amqp/confirmed-publisher.js';
import { ResultOutbox } from './result-outbox.js';
import { decodeTask, dispatchOf, encodeResult, type TaskMessage } from './task-message.js';
import {
  declareEndpoint,
  type EndpointTopology,
  endpointTopology,
  RESULTS_EXCHANGE,
} from './task-topology.js';

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

interface Delivery {
  readonly generation: number;
  readonly tag: number;
}

/**
 * `agentctl worker`: executes the process runs an agent's `QueueRunner` put on `<endpoint>.tasks`.
 *
 * - **Consume.** Up to `concurrency` tasks at once (the prefetch). The task queue is single-active-consumer
 *   unless `adapters.amqp.taskConsumers` is `shared`: a second worker on the same endpoint stands by.
 * - **Execute** with `executeRun` and the process of that name from the config (a process this worker
 *   does not know fails the run, fatally).
 * - **Results** are written to the outbox (SQLite) before the task is acked, then published to the
 *   `results` exchange (routing key: the task's `results`, the agent's own queue `<endpoint>.results.<group>`;
 *   `<endpoint>.results` for tasks of older agents) on a confirm channel, and marked published once
 *   confirmed. While the broker is unreachable the worker goes on with the tasks it holds and keeps their
 *   results; it publishes them after it reconnects.
 * - **A run finished here** is not run again: a task redelivered after a reconnect or a crash, or a run
 *   that succeeded here dispatched again, is answered by publishing the kept result again (results are
 *   idempotent by run id). A run that *failed* and is dispatched again (its event was re-read) runs again,
 *   as an inline runner would run it; its new result replaces the failure.
 * - **Drain** (`requestDrain`, or the `run` signal): stops taking tasks, lets running ones finish (bounded),
 *   publishes the outbox (bounded), closes. `terminate` abandons running tasks (they are redelivered).
 */
export class WorkerService {
  readonly id: string;
  readonly telemetry: Telemetry;
  readonly stats = new Stats();
  private readonly clock: Clock;
  private readonly settings: AmqpSettings;
  private readonly topology: EndpointTopology;
  private readonly concurrency: number;
  private readonly connection: AmqpConnection;
  private readonly tasks: ManagedChannel<Channel>;
  private readonly results: ManagedChannel<ConfirmChannel>;
  private readonly publisher: ConfirmedPublisher;
  private outbox: ResultOutbox | undefined;
  private readonly running = new Map<string, Delivery[]>();
  private consumerTag: string | undefined;
  private draining = false;
  private readonly drainRequested = new AbortController();
  private readonly abandon = new AbortController();
  private readonly stopFlushing = new AbortController();
  private readonly flusherAlarm = new Alarm();
  private idle: (() => void) | undefined;
  private executed = 0;
  private succeeded = 0;
  private failed = 0;
  private duplicates = 0;
  private published = 0;
  private malformed = 0;

  constructor(private readonly options: WorkerServiceOptions) {
    this.clock = options.clock ?? systemClock;
    this.telemetry = options.telemetry ?? new Telemetry();
    this.settings = amqpSettingsOf(options.settings);
    this.topology = endpointTopology(options.endpoint);
    this.concurrency = options.concurrency ?? 4;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1 || this.concurrency > 65_535) {
      throw new RangeError(`worker concurrency must be an integer from 1 to 65535, got ${this.concurrency}`);
    }
    this.id = options.id ?? `${options.endpoint}@${hostname()}#${process.pid}`;
    const server = parseAmqpUri(options.url, 'worker url');
    this.connection = new AmqpConnection({
      server,
      settings: this.settings,
      name: `agentctl worker ${this.id}`,
      clock: this.clock,
      telemetry: this.telemetry,
    });
    this.tasks = new ManagedChannel<Channel>({
      connection: this.connection,
      confirm: false,
      name: `worker ${options.endpoint} tasks`,
      clock: this.clock,
      telemetry: this.telemetry,
      setup: (channel, generation) => this.consumeTasks(channel, generation),
      lost: () => {
        this.consumerTag = undefined;
      },
    });
    this.results = new ManagedChannel<ConfirmChannel>({
      connection: this.connection,
      confirm: true,
      name: `worker ${options.endpoint} results`,
      clock: this.clock,
      telemetry: this.telemetry,
      setup: async (channel) => {
        this.publisher.attach(channel);
        this.flusherAlarm.wake();
      },
    });
    this.publisher = new ConfirmedPublisher({
      channel: this.results,
      timeoutMs: this.settings.publishTimeoutMs,
      clock: this.clock,
    });
  }

  /** Tasks executing now. */
  get inFlight(): number {
    return this.running.size;
  }

  /** Results kept in the outbox and not yet confirmed by the broker (while `run` runs). */
  get waitingResults(): number {
    return this.outbox?.isOpen ? this.outbox.waiting : 0;
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
    const keepPublishedMs = this.options.keepPublishedMs ?? 24 * 3_600_000;
    this.outbox = new ResultOutbox(this.options.outboxPath, this.topology.endpoint);
    this.outbox.prune(started - keepPublishedMs);
    const stop = () => this.requestDrain();
    signal?.addEventListener('abort', stop, { once: true });
    let flushing: Promise<void> | undefined;
    let waiting = 0;
    try {
      await this.results.start(signal);
      flushing = this.flushLoop();
      await this.tasks.start(signal);
      if (!this.drainRequested.signal.aborted) {
        await new Promise<void>((resolve) =>
          this.drainRequested.signal.addEventListener('abort', () => resolve(), { once: true }),
        );
      }
      await this.drain();
    } finally {
      signal?.removeEventListener('abort', stop);
      this.stopFlushing.abort();
      this.flusherAlarm.wake();
      await flushing;
      await this.tasks.close();
      await this.results.close();
      await this.connection.close();
      waiting = this.outbox.waiting;
      this.outbox.close();
    }
    return {
      worker: this.id,
      endpoint: this.topology.endpoint,
      executed: this.executed,
      succeeded: this.succeeded,
      failed: this.failed,
      duplicates: this.duplicates,
      published: this.published,
      waiting,
      malformed: this.malformed,
      durationMs: this.clock.now() - started,
    };
  }

  private async consumeTasks(channel: Channel, generation: number): Promise<void> {
    this.consumerTag = undefined;
    const model = this.connection.channelModel;
    if (model === undefined) throw new Error('connection lost while opening the channel');
    await declareEndpoint(model, this.topology, this.settings);
    if (this.draining) return;
    await channel.prefetch(this.concurrency);
    const reply = await channel.consume(
      this.topology.tasks,
      (message) => {
        if (message === null) {
          // Cancelled by the broker (queue deleted): a new channel declares and consumes again.
          void closeQuietly(channel);
          return;
        }
        this.onTask(channel, message, generation);
      },
      { noAck: false },
    );
    this.consumerTag = reply.consumerTag;
  }

  private onTask(channel: Channel, message: ConsumeMessage, generation: number): void {
    const delivery: Delivery = { generation, tag: message.fields.deliveryTag };
    let task: TaskMessage;
    try {
      task = decodeTask(message.content);
    } catch (error) {
      this.malformed++;
      this.telemetry.emit('warning', {
        message: `rejected a task that cannot be read: ${describeError(error)}`,
      });
      try {
        channel.reject(message, false);
      } catch {
        // the channel closed: it comes again
      }
      return;
    }
    const { id, group } = task.run;
    const key = `${group}\0${id}`;
    const routing = task.results ?? this.topology.results;
    const kept = this.outbox!.find(group, id);
    if (kept !== undefined && (kept.state === 'succeeded' || kept.dispatch === dispatchOf(task))) {
      // Finished here already (a redelivery, or an event re-read before its result was recorded): the
      // kept result answers the task again instead of a second run. Never an ack without a result.
      this.outbox!.publishAgain(group, id, routing);
      this.duplicates++;
      this.ack(delivery);
      this.flusherAlarm.wake();
      return;
    }
    const running = this.running.get(key);
    if (running !== undefined) {
      // Redelivered (after a reconnect) while it still runs here: ack this delivery when it is done.
      running.push(delivery);
      return;
    }
    this.running.set(key, [delivery]);
    void this.execute(task).then(
      (run) => this.finish(task, run),
      (error: unknown) => {
        // Abandoned (terminate): not acked, so the broker hands it out again.
        this.running.delete(key);
        if (!this.abandon.signal.aborted) {
          this.telemetry.emit('warning', { message: `task ${id} could not run: ${describeError(error)}` });
        }
        this.checkIdle();
      },
    );
  }

  private async execute(task: TaskMessage): Promise<RunRecord> {
    const now = this.clock.now();
    const run: RunRecord = {
      ...task.run,
      state: 'pending',
      attempts: 0,
      steps: [],
      worker: this.id,
      updatedAt: now,
    };
    const process = this.options.processes.get(task.process) ?? undefinedProcess(task.process);
    return executeRun(process, run, task.event, task.params, {
      clock: this.clock,
      signal: this.abandon.signal,
      stats: this.stats,
      telemetry: this.telemetry,
    });
  }

  /** The result goes to the outbox first; then every delivery of the task is acked. */
  private finish(task: TaskMessage, run: RunRecord): void {
    const { id, group } = run;
    const key = `${group}\0${id}`;
    const deliveries = this.running.get(key) ?? [];
    try {
      const body = encodeResult({
        format: 'agentctl.result/1',
        run,
        endpoint: this.topology.endpoint,
        worker: this.id,
        ...(run.state === 'failed' ? { event: task.event } : {}),
      });
      const routing = task.results ?? this.topology.results;
      const kept = { group, runId: id, routing, state: run.state, dispatch: dispatchOf(task), body };
      this.outbox!.add(kept, this.clock.now());
    } catch (error) {
      // Not kept: do not ack, the task comes again.
      this.running.delete(key);
      this.telemetry.emit('warning', {
        message: `keeping the result of ${id} failed: ${describeError(error)}`,
      });
      this.checkIdle();
      return;
    }
    this.executed++;
    if (run.state === 'succeeded') this.succeeded++;
    else this.failed++;
    this.running.delete(key);
    for (const delivery of deliveries) this.ack(delivery);
    this.flusherAlarm.wake();
    this.checkIdle();
  }

  /** Acks a task delivery, unless its channel is gone (then the broker redelivers it, and the outbox answers). */
  private ack(delivery: Delivery): void {
    const channel = this.tasks.channel;
    if (channel === undefined || delivery.generation !== this.tasks.generation) return;
    try {
      channel.ack({ fields: { deliveryTag: delivery.tag } } as AmqpMessage, false);
    } catch {
      // closing
    }
  }

  /** Publishes the outbox whenever it has something and the broker is there; backs off on failures. */
  private async flushLoop(): Promise<void> {
    let wait: Backoff = backoff({ kind: 'exponential', baseMs: 200, maxMs: 5_000, jitter: 0.2 });
    const stop = this.stopFlushing.signal;
    for (;;) {
      const batch = this.outbox!.pending(200);
      if (batch.length === 0) {
        if (stop.aborted) return;
        await this.nap(1_000);
        continue;
      }
      const messages: OutgoingMessage[] = batch.map((entry) => ({
        exchange: RESULTS_EXCHANGE,
        routingKey: entry.routing,
        content: entry.body,
        options: {
          persistent: true,
          mandatory: true,
          messageId: entry.runId,
          contentType: 'application/json',
          type: 'agentctl.result',
        },
      }));
      const outcomes = await this.publisher.publish(messages, stop.aborted ? undefined : this.abandon.signal);
      const confirmed = batch.filter((_, i) => outcomes[i] === undefined);
      if (confirmed.length > 0) {
        this.outbox!.published(confirmed, this.clock.now());
        this.published += confirmed.length;
      }
      if (confirmed.length === batch.length) {
        wait = backoff({ kind: 'exponential', baseMs: 200, maxMs: 5_000, jitter: 0.2 });
        continue;
      }
      if (stop.aborted || this.abandon.signal.aborted) return;
      const failure = outcomes.find((o) => o !== undefined);
      this.telemetry.emit('warning', {
        message: `${batch.length - confirmed.length} result(s) kept in the outbox (${describeError(failure)}); retrying in ${wait.delayMs} ms`,
      });
      await this.nap(wait.delayMs);
      wait = wait.next();
    }
  }

  /** Sleeps until `ms` pass or the flusher is woken (a new result, a reopened channel, stopping). */
  private nap(ms: number): Promise<void> {
    return this.flusherAlarm.wait(ms, this.clock);
  }

  private async drain(): Promise<void> {
    this.draining = true;
    const channel = this.tasks.channel;
    const tag = this.consumerTag;
    this.consumerTag = undefined;
    if (channel !== undefined && tag !== undefined) await channel.cancel(tag).catch(() => undefined);
    const drainBy = this.clock.now() + (this.options.drainTimeoutMs ?? 30_000);
    while (this.running.size > 0 && !this.abandon.signal.aborted) {
      const left = drainBy - this.clock.now();
      if (left <= 0) {
        this.abandon.abort(new Error('drain timed out'));
        break;
      }
      await Promise.race([
        new Promise<void>((resolve) => {
          this.idle = resolve;
        }),
        this.clock.sleep(Math.min(left, 100)).catch(() => undefined),
      ]);
    }
    const flushBy = this.clock.now() + (this.options.flushTimeoutMs ?? 10_000);
    while (!this.abandon.signal.aborted && this.outbox!.waiting > 0 && this.clock.now() < flushBy) {
      this.flusherAlarm.wake();
      await this.clock.sleep(25);
    }
  }

  private checkIdle(): void {
    if (this.running.size > 0) return;
    const idle = this.idle;
    this.idle = undefined;
    idle?.();
  }
}

/** A process this worker's config does not define: its one step fails the run as fatal, saying so. */
function undefinedProcess(name: string): ProcessDefinition<CloudEvent, unknown> {
  return {
    name,
    steps: [
      {
        name: 'resolve',
        run: () => {
          throw new FatalError(`process "${name}" is not defined in this worker's config`);
        },
      },
    ],
  };
}
