import { hostname } from 'node:os';
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import type { Assignor } from '../consumer/assignor.js';
import { BrokerAssignor } from '../consumer/broker-assignor.js';
import { LeaseAssignor } from '../consumer/lease-assignor.js';
import { DEFAULT_POISON_LIMIT, PoisonGuard } from '../consumer/poison-guard.js';
import { type ProcessorSummary, StreamProcessor } from '../consumer/stream-processor.js';
import { describeError } from '../errors/agentctl-error.js';
import { type CloudEvent, decodeCloudEvent } from '../events/cloud-event.js';
import { Stats } from '../model/stats.js';
import type { StatusSnapshot } from '../model/status-snapshot.js';
import { DEFAULT_CONTINGENCY } from '../publish/contingency.js';
import { RetryingPublisher } from '../publish/retrying-publisher.js';
import { PublisherStatusBoard } from '../publish/status-board.js';
import { InlineRunner } from '../runners/inline-runner.js';
import { PoolRunner } from '../runners/pool-runner.js';
import type { Runner, RunnerContext } from '../runners/runner.js';
import { LatestMessages } from '../state/latest-messages.js';
import { ProcessingState } from '../state/processing-state.js';
import { Journal } from '../store/journal.js';
import { stallSettings } from '../telemetry/stall.js';
import { Telemetry } from '../telemetry/telemetry.js';
import { HeartbeatLoop } from './agent-heartbeat.js';
import type { AgentOptions } from './agent-options.js';
import { agentPipeline } from './agent-pipeline.js';
import { AgentReporter, type AgentSummary } from './agent-report.js';
import { boundHeapGrowth } from './heap-growth.js';
import { RunsInFlight } from './runs-in-flight.js';

export type { AgentOptions, ConsumerSettings, PublisherSettings, RunnerChoice } from './agent-options.js';
export type { AgentSummary } from './agent-report.js';

/**
 * A running event agent: the source, the standard pipeline (decode → rules → processes → publish), the
 * runner and publisher, and the stream processor, plus a heartbeat that writes a status snapshot to the
 * store every `heartbeatMs` and answers control requests (`drain`) from other processes
 * (`HeartbeatLoop`); `AgentReporter` makes the snapshot and the run's summary.
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
  private readonly publisher: RetryingPublisher | undefined;
  private readonly reporter: AgentReporter;
  private readonly heartbeat: HeartbeatLoop;

  constructor(private readonly options: AgentOptions) {
    const clock = options.clock ?? systemClock;
    this.clock = clock;
    const startedAt = clock.now();
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
    const { name, source, store } = options;
    const { id, state, stats, board, runner, processor, telemetry } = this;
    this.reporter = new AgentReporter({
      stall: stallSettings(consumer),
      runsInFlight: new RunsInFlight(telemetry, options.processes),
      poisonStorm: () => poisonGuard.reason,
      id,
      name,
      source,
      state,
      stats,
      board,
      runner,
      processor,
      clock,
      startedAt,
    });
    this.heartbeat = new HeartbeatLoop({
      id,
      name,
      store,
      source,
      state,
      clock,
      telemetry,
      startedAt,
      reporter: this.reporter,
      ...(consumer.heartbeatMs === undefined ? {} : { everyMs: consumer.heartbeatMs }),
      requestDrain: () => this.requestDrain(),
    });
  }

  /** Consumes until drained, signalled, empty (`untilEmpty`) or `maxEvents`. */
  async run(signal?: AbortSignal): Promise<AgentSummary> {
    boundHeapGrowth();
    const heartbeat = new AbortController();
    const beating = this.heartbeat.run(heartbeat.signal);
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
      await this.heartbeat.beat().catch(() => undefined);
    }
    const result = this.reporter.summary(summary);
    await this.heartbeat.answerDrains(result);
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

  /** The status snapshot written at each heartbeat (see `AgentReporter`: it never waits long on the source). */
  snapshot(): Promise<StatusSnapshot> {
    return this.reporter.snapshot();
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

  /**
   * What the agent did so far, as `run()` reports it when it returns: for a caller whose `run()` threw
   * (a poison storm) and that reports what was done before the error.
   */
  summarySoFar(stoppedBy: AgentSummary['stoppedBy']): AgentSummary {
    return this.reporter.soFar(stoppedBy);
  }
}
