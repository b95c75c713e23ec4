import { type Clock, SLEEP_CANCELLED } from '../clock.js';
import type { ProcessorSummary, StreamProcessor } from '../consumer/stream-processor.js';
import { RUN_STATES, type RunState } from '../model/run-record.js';
import type { Stats } from '../model/stats.js';
import type { StatusSnapshot } from '../model/status-snapshot.js';
import type { PublisherStatusBoard } from '../publish/status-board.js';
import type { Runner } from '../runners/runner.js';
import type { Source } from '../sources/source.js';
import type { ProcessingState } from '../state/processing-state.js';
import type { StallSettings } from '../telemetry/stall.js';
import type { RunsInFlight } from './runs-in-flight.js';
import { ThroughputMeter } from './throughput-meter.js';

/** How long a snapshot waits for the source to describe its partitions. */
const DESCRIBE_WITHIN_MS = 1_000;

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

export interface AgentReporterOptions {
  readonly id: string;
  readonly name: string;
  readonly source: Source;
  readonly state: ProcessingState;
  readonly stats: Stats;
  readonly board: PublisherStatusBoard;
  readonly runner: Runner;
  readonly processor: StreamProcessor;
  readonly clock: Clock;
  /** When the agent was created: the start of `startedAt` and of `summarySoFar`'s duration. */
  readonly startedAt: number;
  readonly stall: StallSettings;
  readonly runsInFlight: RunsInFlight;
  /** Why the poison guard tripped, once it did. */
  poisonStorm(): string | undefined;
}

/**
 * What an agent tells about itself: the status snapshot (`status`, the TUI, the heartbeat record) and
 * the summary of a run. A snapshot never waits long on the source: the agent must be visible while its
 * source is slow or does not answer, so partitions the source cannot describe within 1 s are shown as
 * last described. Throughput is measured between `sample`s (one per heartbeat).
 */
export class AgentReporter {
  private readonly meter = new ThroughputMeter();
  /** The partitions as last described, for a snapshot taken while the source does not answer. */
  private partitions: StatusSnapshot['partitions'] = [];

  constructor(private readonly options: AgentReporterOptions) {}

  /** Samples the counters for throughput and error rate (at each heartbeat). */
  sample(): void {
    const { stats, clock } = this.options;
    this.meter.sample(stats.done, stats.parked, clock.now());
  }

  async snapshot(): Promise<StatusSnapshot> {
    const { id, name, source, state, stats, board, runner, processor, clock, startedAt, stall } =
      this.options;
    const storm = this.options.poisonStorm();
    const partitions = await this.describePartitions();
    const now = clock.now();
    const counters = stats.toJSON();
    return {
      agentId: id,
      name,
      state: state.value,
      stateSince: state.since,
      startedAt,
      takenAt: now,
      source: {
        uri: source.uri,
        id: source.id,
        coordination: source.coordination,
        checkpointing: source.checkpointing,
      },
      counters,
      throughput: { perSecond: this.meter.perSecond, history: [...this.meter.history] },
      errorRate: this.meter.errorRate,
      partitions,
      sinks: board.statuses(),
      runner: {
        kind: runner.kind,
        inFlight: runner.inFlight,
        concurrency: runner.concurrency,
      },
      inFlight: processor.inFlight,
      ...(processor.error === undefined ? {} : { lastError: processor.error }),
      stall,
      runsInFlight: this.options.runsInFlight.list(),
      ...(storm === undefined ? {} : { poisonStorm: storm }),
    };
  }

  /** The run's summary, from the counters and how long and why it ran. */
  summary(summary: Pick<AgentSummary, 'durationMs' | 'stoppedBy'>): AgentSummary {
    const s = this.options.stats;
    const runs = Object.fromEntries(RUN_STATES.map((state) => [state, s.runs[state]])) as Record<
      RunState,
      number
    >;
    return {
      agent: this.options.id,
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

  /** The summary so far, timed from the agent's start (for a caller whose `run()` threw). */
  soFar(stoppedBy: AgentSummary['stoppedBy']): AgentSummary {
    return this.summary({ durationMs: this.options.clock.now() - this.options.startedAt, stoppedBy });
  }

  private async describePartitions(): Promise<StatusSnapshot['partitions']> {
    const described = this.options.processor.describe().then(
      (partitions) => {
        this.partitions = partitions;
        return partitions;
      },
      () => this.partitions,
    );
    const timer = new AbortController();
    const late = this.options.clock.sleep(DESCRIBE_WITHIN_MS, timer.signal).then(
      () => this.partitions,
      () => this.partitions,
    );
    try {
      return await Promise.race([described, late]);
    } finally {
      timer.abort(SLEEP_CANCELLED);
    }
  }
}
