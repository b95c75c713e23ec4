import { hostname } from 'node:os';
import type { Clock } from '../clock.js';
import { SLEEP_CANCELLED, systemClock } from '../clock.js';
import type { Assignor } from '../consumer/assignor.js';
import { BrokerAssignor } from '../consumer/broker-assignor.js';
import type { CommitPolicy } from '../consumer/commit-policy.js';
import { LeaseAssignor } from '../consumer/lease-assignor.js';
import { DEFAULT_POISON_LIMIT, PoisonGuard, type PoisonLimit } from '../consumer/poison-guard.js';
import { type ProcessorSummary, StreamProcessor } from '../consumer/stream-processor.js';
import { describeError } from '../errors/agentctl-error.js';
import { type CloudEvent, decodeCloudEvent, type EventDecoder } from '../events/cloud-event.js';
import { RUN_STATES, type RunState } from '../model/run-record.js';
import { Stats } from '../model/stats.js';
import type { StatusSnapshot } from '../model/status-snapshot.js';
import type { ProcessRegistry } from '../processes/process.js';
import type { Contingency } from '../publish/contingency.js';
import { DEFAULT_CONTINGENCY } from '../publish/contingency.js';
import type { Sink } from '../publish/publisher.js';
import { RetryingPublisher } from '../publish/retrying-publisher.js';
import { PublisherStatusBoard } from '../publish/status-board.js';
import type { RuleSet } from '../rules/rule-set.js';
import { InlineRunner } from '../runners/inline-runner.js';
import { PoolRunner } from '../runners/pool-runner.js';
import type { Runner, RunnerContext } from '../runners/runner.js';
import type { Source } from '../sources/source.js';
import { LatestMessages } from '../state/latest-messages.js';
import { ProcessingState } from '../state/processing-state.js';
import { Journal } from '../store/journal.js';
import type { StateStore } from '../store/state-store.js';
import { Telemetry } from '../telemetry/telemetry.js';
import type { StartPosition } from '../types.js';
import { VERSION } from '../version.js';
import { agentPipeline } from './agent-pipeline.js';
import { ThroughputMeter } from './throughput-meter.js';

/** How long a snapshot waits for the source to describe its partitions. */
const DESCRIBE_WITHIN_MS = 1_000;

/** How runs execute: a built-in runner by kind, or a factory (the AMQP `QueueRunner` plugs in here). */
export type RunnerChoice =
  | { readonly kind: 'inline' }
  | { readonly kind: 'pool'; readonly concurrency: number }
  | ((context: RunnerContext) => Runner);

export interface ConsumerSettings {
  readonly commitPolicy?: CommitPolicy;
  readonly poisonLimit?: PoisonLimit;
  readonly pollMax?: number;
  readonly pauseAfterMs?: number;
  readonly initial?: StartPosition;
  readonly leaseTtlMs?: number;
  readonly drainTimeoutMs?: number;
  /** How often the status snapshot is written and control requests are read (default 1 s). */
  readonly heartbeatMs?: number;
  readonly untilEmpty?: boolean;
  readonly maxEvents?: number;
}

export interface PublisherSettings {
  readonly sink: Sink;
  /** Written on records parked for the sink, for replay (see `RetryingPublisherOptions.sinkRef`). */
  readonly sinkRef?: string;
  readonly contingency?: Contingency;
  readonly disableAfter?: number;
  readonly coolDownMs?: number;
  readonly attemptTimeoutMs?: number;
}

export interface AgentOptions {
  /** The agent's name: also its consumer group (checkpoints, leases, runs belong to it). */
  readonly name: string;
  readonly store: StateStore;
  readonly source: Source;
  readonly rules: RuleSet;
  readonly processes: ProcessRegistry;
  readonly decode?: EventDecoder;
  readonly runner?: RunnerChoice;
  readonly publisher?: PublisherSettings;
  readonly consumer?: ConsumerSettings;
  readonly clock?: Clock;
  /** Defaults to `NAME@HOST#PID`. */
  readonly id?: string;
  readonly healthcheckFile?: string;
}

/** What a finished run reports (also the last line of `consume --json`). */
export interface AgentSummary {
  readonly agent: string;
  readonly read: number;
  readonly processed: number;
  readonly unmatched: number;
  readonly filtered: number;
  readonly parked: number;
  readonly runs: Readonly<Record<RunState, number>>;
  readonly skippedRuns: number;
  readonly delivered: number;
  readonly publishGiveUps: number;
  readonly commits: number;
  readonly durationMs: number;
  /** Why it stopped: as the processor says, or `poison-storm` in `summarySoFar` after a storm. */
  readonly stoppedBy: ProcessorSummary['stoppedBy'] | 'poison-storm';
}

/**
 * A running event agent: the source, the standard pipeline (decode → rules → processes → publish), the
 * runner and publisher, and the stream processor, plus a heartbeat that writes a status snapshot to the
 * store every `heartbeatMs` and answers control requests (`drain`) from other processes.
 */
export class Agent {
  readonly id: string;
  readonly telemetry = new Telemetry();
  readonly stats = new Stats();
  readonly journal = new Journal();
  readonly state: ProcessingState;
  readonly latest = new LatestMessages<CloudEvent>();
  readonly board: PublisherStatusBoard;
  readonly runner: Runner;
  readonly processor: StreamProcessor;
  private readonly clock: Clock;
  private readonly meter = new ThroughputMeter();
  private readonly startedAt: number;
  private readonly drainRequests: number[] = [];
  private readonly publisher: RetryingPublisher | undefined;
  /** The partitions as last described, for a snapshot taken while the source does not answer. */
  private partitions: StatusSnapshot['partitions'] = [];

  constructor(private readonly options: AgentOptions) {
    const clock = options.clock ?? systemClock;
    this.clock = clock;
    this.startedAt = clock.now();
    this.id = options.id ?? `${options.name}@${hostname()}#${process.pid}`;
    this.state = new ProcessingState(() => clock.now());
    const context: RunnerContext = {
      clock,
      journal: this.journal,
      telemetry: this.telemetry,
      stats: this.stats,
    };
    const choice = options.runner ?? { kind: 'inline' };
    this.runner =
      typeof choice === 'function'
        ? choice(context)
        : choice.kind === 'pool'
          ? new PoolRunner(context, choice.concurrency)
          : new InlineRunner(context);
    const settings = options.publisher;
    this.board = new PublisherStatusBoard({
      clock,
      disableAfter: settings?.disableAfter ?? 5,
      coolDownMs: settings?.coolDownMs ?? 30_000,
    });
    if (settings !== undefined) {
      this.publisher = new RetryingPublisher({
        sink: settings.sink,
        contingency: settings.contingency ?? DEFAULT_CONTINGENCY,
        journal: this.journal,
        group: options.name,
        ...(settings.sinkRef === undefined ? {} : { sinkRef: settings.sinkRef }),
        board: this.board,
        clock,
        telemetry: this.telemetry,
        stats: this.stats,
        ...(settings.attemptTimeoutMs === undefined ? {} : { attemptTimeoutMs: settings.attemptTimeoutMs }),
      });
    }
    const consumer = options.consumer ?? {};
    const poisonGuard = new PoisonGuard(consumer.poisonLimit ?? DEFAULT_POISON_LIMIT);
    const factory = agentPipeline({
      group: options.name,
      source: options.source.id,
      worker: this.id,
      decoder: options.decode ?? decodeCloudEvent,
      rules: options.rules,
      processes: options.processes,
      runner: poisonGuard.gate(this.runner),
      runs: options.store.runs,
      efforts: options.store.efforts,
      stats: this.stats,
      latest: this.latest,
      clock,
      ...(this.publisher ? { publisher: this.publisher } : {}),
      ...(options.healthcheckFile === undefined ? {} : { healthcheckFile: options.healthcheckFile }),
    });
    this.processor = new StreamProcessor({
      source: options.source,
      store: options.store,
      assignor: this.assignor(),
      factory,
      group: options.name,
      owner: this.id,
      journal: this.journal,
      clock,
      telemetry: this.telemetry,
      stats: this.stats,
      state: this.state,
      ...consumer,
      poisonGuard,
    });
  }

  /** Consumes until drained, signalled, empty (`untilEmpty`) or `maxEvents`. */
  async run(signal?: AbortSignal): Promise<AgentSummary> {
    const heartbeat = new AbortController();
    const beating = this.heartbeatLoop(heartbeat.signal);
    this.warnOfUnpublishedOutputs();
    this.runner.start?.(signal).catch((error: unknown) => {
      this.telemetry.emit('warning', {
        message: `runner ${this.runner.kind} could not start yet (${describeError(error)}); its first run retries`,
      });
    });
    let summary: ProcessorSummary;
    try {
      summary = await this.processor.run(signal);
    } finally {
      // Also when the processor failed: publisher and runner hold connections of their own.
      await this.publisher?.close().catch(() => undefined);
      await this.runner.close().catch(() => undefined);
      heartbeat.abort();
      await beating;
      await this.beat().catch(() => undefined);
    }
    const result = this.summary(summary);
    for (const id of this.drainRequests.splice(0)) {
      await this.options.store.control.update(id, 'done', { ...result }).catch(() => undefined);
    }
    return result;
  }

  /**
   * Remote workers report a run's record, not a publish of its output: a process that publishes its
   * output does not publish it when the queue runner runs it. Said once, loudly, rather than dropped
   * without a word.
   */
  private warnOfUnpublishedOutputs(): void {
    if (this.runner.kind !== 'queue') return;
    const processes = this.options.processes;
    const publishing = processes.names().filter((name) => processes.get(name)?.publish);
    if (publishing.length === 0) return;
    this.telemetry.emit('warning', {
      message:
        `process ${publishing.map((n) => `"${n}"`).join(', ')} publishes its output, but runs on remote ` +
        'workers (queue runner) are recorded without publishing it: give it the inline or pool runner, ' +
        'or publish from a step',
    });
  }

  /** Stops taking work, finishes what is in flight, commits, and makes `run()` return. */
  requestDrain(): void {
    this.processor.requestDrain();
  }

  terminate(): void {
    this.processor.terminate();
  }

  /**
   * The status snapshot written at each heartbeat. It never waits long on the source: the agent must be
   * visible (`status`, `drain`) while its source is slow or does not answer, so partitions the source
   * cannot describe within `DESCRIBE_WITHIN_MS` are shown as last described.
   */
  async snapshot(): Promise<StatusSnapshot> {
    const partitions = await this.describePartitions();
    const now = this.clock.now();
    const counters = this.stats.toJSON();
    return {
      agentId: this.id,
      name: this.options.name,
      state: this.state.value,
      stateSince: this.state.since,
      startedAt: this.startedAt,
      takenAt: now,
      source: {
        uri: this.options.source.uri,
        id: this.options.source.id,
        coordination: this.options.source.coordination,
        checkpointing: this.options.source.checkpointing,
      },
      counters,
      throughput: { perSecond: this.meter.perSecond, history: [...this.meter.history] },
      errorRate: this.meter.errorRate,
      partitions,
      sinks: this.board.statuses(),
      runner: {
        kind: this.runner.kind,
        inFlight: this.runner.inFlight,
        concurrency: this.runner.concurrency,
      },
      inFlight: this.processor.inFlight,
      ...(this.processor.error === undefined ? {} : { lastError: this.processor.error }),
    };
  }

  private async describePartitions(): Promise<StatusSnapshot['partitions']> {
    const described = this.processor.describe().then(
      (partitions) => {
        this.partitions = partitions;
        return partitions;
      },
      () => this.partitions,
    );
    const timer = new AbortController();
    const late = this.clock.sleep(DESCRIBE_WITHIN_MS, timer.signal).then(
      () => this.partitions,
      () => this.partitions,
    );
    try {
      return await Promise.race([described, late]);
    } finally {
      timer.abort(SLEEP_CANCELLED);
    }
  }

  private assignor(): Assignor {
    const { source, store, name, consumer } = this.options;
    if (source.coordination === 'broker') return new BrokerAssignor(source, this.id);
    return new LeaseAssignor({
      source,
      store,
      group: name,
      owner: this.id,
      clock: this.clock,
      telemetry: this.telemetry,
      ...(consumer?.leaseTtlMs === undefined ? {} : { ttlMs: consumer.leaseTtlMs }),
    });
  }

  private async heartbeatLoop(signal: AbortSignal): Promise<void> {
    const every = this.options.consumer?.heartbeatMs ?? 1_000;
    while (!signal.aborted) {
      try {
        await this.beat();
        await this.handleControl();
      } catch (error) {
        this.telemetry.emit('warning', { message: `heartbeat failed: ${describeError(error)}`, error });
      }
      try {
        await this.clock.sleep(every, signal);
      } catch {
        return;
      }
    }
  }

  private async beat(): Promise<void> {
    this.meter.sample(this.stats.done, this.stats.parked, this.clock.now());
    const snapshot = await this.snapshot();
    await this.options.store.agents.heartbeat({
      id: this.id,
      name: this.options.name,
      group: this.options.name,
      host: hostname(),
      pid: process.pid,
      source: this.options.source.id,
      state: this.state.value,
      startedAt: this.startedAt,
      version: VERSION,
      snapshot,
    });
  }

  private async handleControl(): Promise<void> {
    const control = this.options.store.control;
    for (const request of await control.pending(this.id)) {
      if (request.kind === 'drain') {
        await control.update(request.id, 'accepted');
        this.drainRequests.push(request.id);
        this.requestDrain();
      } else {
        await control.update(request.id, 'failed', {
          error: `"${request.kind}" is not supported by this agent`,
        });
      }
    }
  }

  /**
   * What the agent did so far, as `run()` reports it when it returns: for a caller whose `run()` threw
   * (a poison storm) and that reports what was done before the error.
   */
  summarySoFar(stoppedBy: AgentSummary['stoppedBy']): AgentSummary {
    return this.summary({ durationMs: this.clock.now() - this.startedAt, stoppedBy });
  }

  private summary(summary: Pick<AgentSummary, 'durationMs' | 'stoppedBy'>): AgentSummary {
    const s = this.stats;
    const runs = Object.fromEntries(RUN_STATES.map((state) => [state, s.runs[state]])) as Record<
      RunState,
      number
    >;
    return {
      agent: this.id,
      read: s.read,
      processed: s.processed,
      unmatched: s.unmatched,
      filtered: s.filtered,
      parked: s.parked,
      runs,
      skippedRuns: s.skippedRuns,
      delivered: s.delivered,
      publishGiveUps: s.publishGiveUps,
      commits: s.commits,
      durationMs: summary.durationMs,
      stoppedBy: summary.stoppedBy,
    };
  }
}
