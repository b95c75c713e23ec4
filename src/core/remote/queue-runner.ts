import { randomUUID } from 'node:crypto';
import type { RunRecord } from '../model/run-record.js';
import type { RunJob, Runner, RunnerContext } from '../runners/runner.js';
import type { StateStore } from '../store/state-store.js';
import { DispatchBook } from './dispatch-book.js';
import { RESULT_BATCH, ResultCollector } from './result-collector.js';
import { awaitResults } from './result-wait.js';
import { SignalGuard } from './signal-guard.js';
import { TaskEndpoint } from './task-endpoint.js';
import { encodeTask } from './task-message.js';
import { TaskSender } from './task-sender.js';
import { taskOutgoing } from './task-topology.js';

export interface QueueRunnerOptions {
  /** Broker URL, `amqp[s]://USER:PASS@HOST:PORT/VHOST` (credentials are never printed). */
  readonly url: string;
  /** The worker group: tasks go to `<endpoint>.tasks`, results come back on `<endpoint>.results.<group>`. */
  readonly endpoint: string;
  /** Where results are recorded and failed remote runs parked (`flush`: idempotent run upserts). */
  readonly store: Pick<StateStore, 'flush'>;
  /** The agent (consumer group) that owns the runs. */
  readonly group: string;
  /** The config's `adapters` (its `amqp` entry is used). */
  readonly settings?: Readonly<Record<string, unknown>>;
  /** Events the dispatcher keeps in flight, i.e. tasks awaiting their confirm (default 1000). */
  readonly concurrency?: number;
}

/**
 * Hands process runs to RabbitMQ workers (`agentctl worker`): each run becomes a task message (JSON: the
 * pending run record, process name, rule, params and event; persistent, `messageId` = run id) on the
 * endpoint's durable task queue, published on a confirm channel. `execute` resolves — and the source
 * message can be done — only once the broker confirmed the task; until then it retries with backoff
 * (through reconnects, `TaskSender`), and rejects only when its signal aborts. The run is journaled
 * `pending` (`DispatchBook`).
 *
 * Results come back from workers on `<endpoint>.results.<group>` (this agent's own) and are recorded and
 * acked in batches (`ResultCollector`); a failed remote run is also parked so that `replay --failed` can
 * run it again. Both directions share one `TaskEndpoint` link.
 *
 * The connection opens on the first `execute` (or `start`); `close` first records the results of this
 * session's runs and those earlier sessions left on the results queue, as long as they keep coming
 * (`awaitResults`: `adapters.amqp.resultWaitMs` without one ends the wait, with a warning naming the runs
 * left pending).
 */
export class QueueRunner implements Runner {
  readonly kind = 'queue';
  readonly concurrency: number;
  private readonly endpoint: TaskEndpoint;
  private readonly book: DispatchBook;
  private readonly collector: ResultCollector;
  private readonly sender: TaskSender;
  private readonly guard = new SignalGuard();
  private readonly stop = new AbortController();
  private sending = 0;
  private starting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly context: RunnerContext,
    private readonly options: QueueRunnerOptions,
  ) {
    this.concurrency = options.concurrency ?? 1000;
    this.endpoint = new TaskEndpoint({
      side: 'runner',
      url: options.url,
      endpoint: options.endpoint,
      group: options.group,
      ...(options.settings === undefined ? {} : { settings: options.settings }),
      clock: context.clock,
      ...(context.telemetry ? { telemetry: context.telemetry } : {}),
      keepsProcessAlive: false,
      prefetch: RESULT_BATCH * 2,
      onMessage: (message, delivery) => this.collector.onResult(message, delivery),
      lost: (generation) => this.collector.lost(generation),
    });
    this.book = new DispatchBook(context);
    this.collector = new ResultCollector(this.endpoint, options.store, this.book, context, this.stop.signal);
    this.sender = new TaskSender(this.endpoint, context, this.guard, this.stop.signal);
  }

  /** Tasks published and not yet confirmed. */
  get inFlight(): number {
    return this.sending;
  }

  /** Runs dispatched in this session whose result has not come back. */
  get awaitingResults(): number {
    return this.book.awaitingResults;
  }

  /** Connects, declares the endpoint and starts consuming results. @throws SourceUnavailableError */
  start(signal?: AbortSignal): Promise<void> {
    this.starting ??= (async () => {
      await this.endpoint.startOutgoing(signal);
      await this.endpoint.startIncoming(signal);
    })().catch((error: unknown) => {
      this.starting = undefined;
      throw error;
    });
    return this.starting;
  }

  async execute(job: RunJob, signal: AbortSignal): Promise<RunRecord> {
    const { run } = job;
    const { topology } = this.endpoint;
    this.sending++;
    const entry = this.book.open(run.id);
    try {
      await this.guard.guard(this.start(), signal);
      const content = encodeTask({
        format: 'agentctl.task/1',
        run,
        process: job.process.name,
        rule: run.rule,
        params: job.params,
        event: job.event,
        endpoint: topology.endpoint,
        dispatchedAt: this.context.clock.now(),
        dispatch: randomUUID(),
        results: topology.results,
      });
      await this.sender.send(taskOutgoing(topology, run.id, content), run.id, signal);
    } catch (error) {
      this.book.forget(run.id);
      throw error;
    } finally {
      this.sending--;
    }
    this.book.confirmed(entry, run);
    return run;
  }

  /** Waits (bounded) for this session's results, records what arrived, and closes. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.closeNow();
    return this.closing;
  }

  private async closeNow(): Promise<void> {
    if (this.starting !== undefined) {
      const { endpoint, collector, book, context, starting } = this;
      await awaitResults({ endpoint, collector, book, context, group: this.options.group, starting });
    }
    this.stop.abort();
    this.collector.clear();
    await this.endpoint.close();
  }
}

/** A `RunnerChoice` factory: `new Agent({ runner: queueRunner({...}) })`. */
export function queueRunner(options: QueueRunnerOptions): (context: RunnerContext) => QueueRunner {
  return (context) => new QueueRunner(context, options);
}
