import { randomUUID } from 'node:crypto';
import type { Message as AmqpMessage, Channel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import { SLEEP_CANCELLED } from '../clock.js';
import { describeError } from '../errors/agentctl-error.js';
import { encodeEvent } from '../events/cloud-event.js';
import type { RunRecord } from '../model/run-record.js';
import { redactUri } from '../redact.js';
import { type Backoff, backoff } from '../retry/backoff.js';
import type { RunJob, Runner, RunnerContext } from '../runners/runner.js';
import { eventParkKey } from '../store/parking.js';
import type { NewFailedMessage } from '../store/records.js';
import type { StateStore } from '../store/state-store.js';
import { ManagedChannel } from '../transports/amqp/amqp-channel.js';
import { AmqpConnection } from '../transports/amqp/amqp-connection.js';
import { type AmqpSettings, amqpSettingsOf } from '../transports/amqp/amqp-settings.js';
import { parseAmqpUri } from '../transports/amqp/amqp-uri.js';
import { closeQuietly } from '../transports/amqp/close-quietly.js';
import { ConfirmedPublisher, type OutgoingMessage } from '../transports/amqp/confirmed-publisher.js';
import { decodeResult, encodeTask, type ResultMessage } from './task-message.js';
import { declareEndpoint, type EndpointTopology, endpointTopology } from './task-topology.js';

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

/** What the results consumer holds before recording it. */
interface Pending {
  readonly result: ResultMessage | undefined;
  readonly generation: number;
  readonly tag: number;
}

/** A run dispatched in this session: `confirmed` once its task is; `early` when its result came first. */
interface Dispatched {
  confirmed: boolean;
  early?: RunRecord;
}

/** Runs remembered for the journal fix-up below; beyond this the oldest are forgotten. */
const MAX_REMEMBERED = 100_000;
/** Results recorded per store write, and the longest they wait to fill a batch. */
const RESULT_BATCH = 200;
const RESULT_LINGER_MS = 20;

/**
 * Hands process runs to RabbitMQ workers (`agentctl worker`): each run becomes a task message (JSON: the
 * pending run record, process name, rule, params and event; persistent, `messageId` = run id) on the
 * endpoint's durable task queue, published on a confirm channel. `execute` resolves — and the source
 * message can be done — only once the broker confirmed the task; until then it retries with backoff
 * (through reconnects), and rejects only when its signal aborts. The run is journaled `pending`.
 *
 * Results come back from workers on `<endpoint>.results.<group>` (this agent's own) and are recorded here, in batches, as full run
 * upserts in one store write with the parked failures (idempotent by run id; the store never lets a late
 * or duplicate result turn a succeeded run back), then acked. A failed remote run is also parked (reason
 * `task`, with its event) so that `replay --failed` can run it again. A result of a run dispatched in
 * this session is journaled as well: the journal may still hold the run as `pending` and would otherwise
 * write that over the result at its next flush.
 *
 * The connection opens on the first `execute` (or `start`); `close` first records the results of this
 * session's runs and those earlier sessions left on the results queue, as long as they keep coming
 * (`adapters.amqp.resultWaitMs` without one ends the wait, with a warning naming the runs left pending).
 */
export class QueueRunner implements Runner {
  readonly kind = 'queue';
  readonly concurrency: number;
  private readonly settings: AmqpSettings;
  private readonly topology: EndpointTopology;
  private readonly connection: AmqpConnection;
  private readonly tasks: ManagedChannel<ConfirmChannel>;
  private readonly results: ManagedChannel<Channel>;
  private readonly publisher: ConfirmedPublisher;
  private readonly dispatched = new Map<string, Dispatched>();
  private readonly aborts = new WeakMap<AbortSignal, Set<(reason: unknown) => void>>();
  private readonly display: string;
  private sending = 0;
  private outbox: { message: OutgoingMessage; resolve: (failure: Error | undefined) => void }[] = [];
  private outboxScheduled = false;
  private pending: Pending[] = [];
  private recording: Promise<void> | undefined;
  private lingering = false;
  /** Result messages delivered so far (the close waits while this moves). */
  private received = 0;
  private starting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private readonly stop = new AbortController();

  constructor(
    private readonly context: RunnerContext,
    private readonly options: QueueRunnerOptions,
  ) {
    this.concurrency = options.concurrency ?? 1000;
    this.settings = amqpSettingsOf(options.settings);
    this.topology = endpointTopology(options.endpoint, options.group);
    const server = parseAmqpUri(options.url, 'runner url');
    this.display = redactUri(options.url);
    const telemetry = context.telemetry ? { telemetry: context.telemetry } : {};
    this.connection = new AmqpConnection({
      server,
      settings: this.settings,
      name: `agentctl runner ${options.endpoint}`,
      clock: context.clock,
      keepsProcessAlive: false,
      ...telemetry,
    });
    this.tasks = new ManagedChannel<ConfirmChannel>({
      connection: this.connection,
      confirm: true,
      name: `runner ${options.endpoint} tasks`,
      clock: context.clock,
      ...telemetry,
      setup: async (channel) => {
        this.publisher.attach(channel);
        const model = this.connection.channelModel;
        if (model !== undefined) await declareEndpoint(model, this.topology, this.settings);
      },
    });
    this.publisher = new ConfirmedPublisher({
      channel: this.tasks,
      timeoutMs: this.settings.publishTimeoutMs,
      clock: context.clock,
    });
    this.results = new ManagedChannel<Channel>({
      connection: this.connection,
      confirm: false,
      name: `runner ${options.endpoint} results`,
      clock: context.clock,
      ...telemetry,
      setup: (channel, generation) => this.consumeResults(channel, generation),
      lost: (generation) => {
        this.pending = this.pending.filter((p) => p.generation > generation);
      },
    });
  }

  /** Tasks published and not yet confirmed. */
  get inFlight(): number {
    return this.sending;
  }

  /** Runs dispatched in this session whose result has not come back. */
  get awaitingResults(): number {
    let n = 0;
    for (const d of this.dispatched.values()) if (d.early === undefined) n++;
    return n;
  }

  /** Connects, declares the endpoint and starts consuming results. @throws SourceUnavailableError */
  start(signal?: AbortSignal): Promise<void> {
    this.starting ??= (async () => {
      await this.tasks.start(signal);
      await this.results.start(signal);
    })().catch((error: unknown) => {
      this.starting = undefined;
      throw error;
    });
    return this.starting;
  }

  async execute(job: RunJob, signal: AbortSignal): Promise<RunRecord> {
    const { run } = job;
    this.sending++;
    const entry: Dispatched = { confirmed: false };
    this.remember(run.id, entry);
    try {
      await this.guard(this.start(), signal);
      const message: OutgoingMessage = {
        exchange: '',
        routingKey: this.topology.tasks,
        content: encodeTask({
          format: 'agentctl.task/1',
          run,
          process: job.process.name,
          rule: run.rule,
          params: job.params,
          event: job.event,
          endpoint: this.topology.endpoint,
          dispatchedAt: this.context.clock.now(),
          dispatch: randomUUID(),
          results: this.topology.results,
        }),
        options: {
          persistent: true,
          mandatory: true,
          messageId: run.id,
          contentType: 'application/json',
          type: 'agentctl.task',
        },
      };
      let wait: Backoff = backoff({ kind: 'exponential', baseMs: 200, maxMs: 5_000, jitter: 0.2 });
      for (;;) {
        const failure = await this.guard(this.enqueue(message), signal);
        if (failure === undefined) break;
        this.context.telemetry?.emit('warning', {
          message: `task ${run.id} not confirmed by ${this.display} (${describeError(failure)}); retrying in ${wait.delayMs} ms`,
        });
        await this.guard(this.context.clock.sleep(wait.delayMs, this.stop.signal), signal);
        wait = wait.next();
      }
    } catch (error) {
      this.dispatched.delete(run.id);
      throw error;
    } finally {
      this.sending--;
    }
    entry.confirmed = true;
    this.context.journal.recordRun(run);
    const stats = this.context.stats;
    if (stats) stats.runs.pending++;
    if (entry.early !== undefined) this.settleDispatched(run.id, entry.early);
    return run;
  }

  /** Waits (bounded) for this session's results, records what arrived, and closes. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.closeNow();
    return this.closing;
  }

  private async closeNow(): Promise<void> {
    if (this.starting !== undefined) await this.collectResults();
    this.stop.abort();
    this.pending = [];
    await this.results.close();
    await this.tasks.close();
    await this.connection.close();
  }

  /**
   * Records, before the runner closes, the results of this session's runs and those that earlier
   * sessions left on the results queue (as many as were waiting when it began: an agent of the same
   * group dispatching meanwhile cannot keep it here). Waits as long as results keep coming in; after
   * `resultWaitMs` without one it gives up and says how many runs stay pending.
   */
  private async collectResults(): Promise<void> {
    const { clock } = this.context;
    const waitMs = this.settings.resultWaitMs;
    let heard = this.received;
    let heardAt = clock.now();
    let backlogUntil: number | undefined;
    let waiting: number | undefined;
    const quiet = new AbortController();
    await Promise.race([
      this.starting?.catch(() => undefined),
      clock.sleep(waitMs, quiet.signal).catch(() => undefined),
    ]);
    quiet.abort(SLEEP_CANCELLED);
    for (;;) {
      await this.record();
      waiting = await this.resultsWaiting();
      if (waiting !== undefined && backlogUntil === undefined) backlogUntil = this.received + waiting;
      const caughtUp = waiting === 0 || (backlogUntil !== undefined && this.received >= backlogUntil);
      if (this.awaitingResults === 0 && caughtUp && this.pending.length === 0) return;
      if (this.received !== heard) {
        heard = this.received;
        heardAt = clock.now();
      }
      if (clock.now() - heardAt >= waitMs || this.connection.state === 'closed') break;
      await clock.sleep(25);
    }
    await this.record();
    const pending = this.awaitingResults;
    const where = `the next agent "${this.options.group}" on endpoint ${this.topology.endpoint} records`;
    if (pending > 0) {
      this.context.telemetry?.emit('warning', {
        message: `${pending} run(s) stay pending: no result came from the workers for ${waitMs} ms (adapters.amqp.resultWaitMs); ${where} their results`,
      });
    } else if (waiting !== 0) {
      this.context.telemetry?.emit('warning', {
        message: `results of earlier runs still wait on ${this.topology.results}; ${where} them`,
      });
    }
  }

  /** Results ready on the results queue, asked on the consuming channel (so deliveries sent before the answer are in `pending`). */
  private async resultsWaiting(): Promise<number | undefined> {
    const channel = this.results.channel;
    if (channel === undefined) return undefined;
    try {
      return (await channel.checkQueue(this.topology.results)).messageCount;
    } catch {
      return undefined;
    }
  }

  /**
   * Resolves with the promise, or rejects with the signal's reason when it aborts first. One listener per
   * signal however many runs wait on it (a thousand tasks may await their confirms at once).
   */
  private guard<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
    if (signal.aborted) return Promise.reject(signal.reason);
    let waiting = this.aborts.get(signal);
    if (waiting === undefined) {
      const set = new Set<(reason: unknown) => void>();
      waiting = set;
      this.aborts.set(signal, set);
      signal.addEventListener(
        'abort',
        () => {
          for (const reject of set) reject(signal.reason);
          set.clear();
        },
        { once: true },
      );
    }
    const set = waiting;
    return new Promise<T>((resolve, reject) => {
      set.add(reject);
      promise.then(
        (value) => {
          set.delete(reject);
          resolve(value);
        },
        (error: unknown) => {
          set.delete(reject);
          reject(error);
        },
      );
    });
  }

  /** Publishes with the messages enqueued in the same tick (one confirm batch). */
  private enqueue(message: OutgoingMessage): Promise<Error | undefined> {
    return new Promise((resolve) => {
      this.outbox.push({ message, resolve });
      if (this.outboxScheduled) return;
      this.outboxScheduled = true;
      queueMicrotask(() => {
        this.outboxScheduled = false;
        const batch = this.outbox;
        this.outbox = [];
        void this.publisher.publish(batch.map((b) => b.message)).then(
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

  private remember(id: string, entry: Dispatched): void {
    this.dispatched.set(id, entry);
    if (this.dispatched.size > MAX_REMEMBERED) {
      const oldest = this.dispatched.keys().next().value;
      if (oldest !== undefined) this.dispatched.delete(oldest);
    }
  }

  private async consumeResults(channel: Channel, generation: number): Promise<void> {
    await channel.prefetch(RESULT_BATCH * 2);
    await channel.consume(
      this.topology.results,
      (message) => {
        if (message === null) {
          // Cancelled by the broker (queue deleted): a new channel re-declares and consumes again.
          void closeQuietly(channel);
          return;
        }
        this.onResult(message, generation);
      },
      { noAck: false },
    );
  }

  private onResult(message: ConsumeMessage, generation: number): void {
    let result: ResultMessage | undefined;
    try {
      result = decodeResult(message.content);
    } catch (error) {
      this.context.telemetry?.emit('warning', {
        message: `ignored a message on ${this.topology.results}: ${describeError(error)}`,
      });
    }
    this.received++;
    this.pending.push({ result, generation, tag: message.fields.deliveryTag });
    if (this.pending.length >= RESULT_BATCH) void this.record();
    else if (!this.lingering) {
      this.lingering = true;
      void this.context.clock
        .sleep(RESULT_LINGER_MS, this.stop.signal)
        .catch(() => undefined)
        .then(() => {
          this.lingering = false;
          return this.record();
        });
    }
  }

  /** Records the pending results (one store write per batch), then acks them. One batch at a time. */
  private async record(): Promise<void> {
    while (this.recording !== undefined) await this.recording;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    const recording = this.recordBatch(batch).finally(() => {
      this.recording = undefined;
    });
    this.recording = recording;
    await recording;
  }

  private async recordBatch(batch: readonly Pending[]): Promise<void> {
    const runs: RunRecord[] = [];
    const parked: NewFailedMessage[] = [];
    for (const { result } of batch) {
      if (result === undefined) continue;
      runs.push(result.run);
      if (result.run.state === 'failed' && result.event !== undefined) parked.push(this.parked(result));
    }
    try {
      // One write, queued behind any journal flush already under way (the store applies flushes in order):
      // a `pending` record the processor took before this result came cannot land after it.
      if (runs.length > 0) await this.options.store.flush({ runs, ledger: [], efforts: [], parked });
    } catch (error) {
      // Not acked: the broker keeps them and the next batch (or a redelivery) records them.
      if (this.stop.signal.aborted) return;
      this.pending = [...batch, ...this.pending];
      this.context.telemetry?.emit('warning', {
        message: `recording worker results failed: ${describeError(error)}`,
      });
      void this.context.clock.sleep(1_000, this.stop.signal).then(
        () => this.record(),
        () => undefined,
      );
      return;
    }
    for (const run of runs) {
      const entry = this.dispatched.get(run.id);
      if (entry === undefined) continue;
      if (entry.confirmed) this.settleDispatched(run.id, run);
      else entry.early = run;
    }
    const channel = this.results.channel;
    const generation = this.results.generation;
    let last = 0;
    for (const p of batch) if (p.generation === generation && p.tag > last) last = p.tag;
    if (channel !== undefined && last > 0) {
      try {
        channel.ack({ fields: { deliveryTag: last } } as AmqpMessage, true);
      } catch {
        // The channel closed: the results come again and are recorded again (idempotent).
      }
    }
  }

  /** A dispatched run's result is in: the journal gets the final state too, and the counters move. */
  private settleDispatched(id: string, run: RunRecord): void {
    this.dispatched.delete(id);
    this.context.journal.recordRun(run);
    const stats = this.context.stats;
    if (stats) {
      stats.runs.pending--;
      stats.runs[run.state]++;
    }
  }

  private parked(result: ResultMessage): NewFailedMessage {
    const { run, event } = result;
    const source = run.origin?.source ?? '';
    return {
      group: run.group,
      source,
      partition: run.origin?.partition ?? '',
      position: run.origin?.position ?? '',
      reason: 'task',
      kind: 'event',
      error: run.error ?? 'run failed on a worker',
      rule: run.rule,
      process: run.process,
      runId: run.id,
      eventId: run.eventId,
      eventType: run.eventType,
      attempts: run.attempts,
      raw: encodeEvent(event!),
      timestamp: run.createdAt,
      failedAt: run.finishedAt ?? run.updatedAt,
      via: `worker ${result.worker}`,
      key: eventParkKey(run.group, source, event!),
    };
  }
}

/** A `RunnerChoice` factory: `new Agent({ runner: queueRunner({...}) })`. */
export function queueRunner(options: QueueRunnerOptions): (context: RunnerContext) => QueueRunner {
  return (context) => new QueueRunner(context, options);
}
