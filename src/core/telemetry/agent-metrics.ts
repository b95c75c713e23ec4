import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Stats } from '../model/stats.js';
import type { StatusSnapshot } from '../model/status-snapshot.js';
import { PROCESSING_STATES, type ProcessingState } from '../state/processing-state.js';
import { METRIC } from './metric-names.js';
import { registerStallMetrics, snapshotPerScrape } from './stall-metrics.js';
import type { Telemetry } from './telemetry.js';

/** What the metrics read: a running agent (or worker). */
export interface MetricsSubject {
  readonly stats: Stats;
  readonly state: ProcessingState;
  readonly telemetry: Telemetry;
  /** The live status (partitions, in flight); read at scrape time. */
  snapshot(): Promise<StatusSnapshot>;
}

/** Counters whose value is a `Stats` field, incremented by the difference at each scrape. */
const STAT_COUNTERS: readonly [keyof Stats, string, string][] = [
  ['read', METRIC.eventsRead, 'Events read from the source.'],
  ['processed', METRIC.eventsProcessed, 'Events done by processing.'],
  ['unmatched', METRIC.eventsUnmatched, 'Events no rule matched (committed, not errors).'],
  ['filtered', METRIC.eventsFiltered, 'Events dropped by a filter.'],
  ['skippedRuns', METRIC.runsSkipped, 'Runs skipped because they had already succeeded.'],
  ['commits', METRIC.commits, 'Commits of checkpoints (or acks).'],
  ['stepRetries', METRIC.stepRetries, 'Retries of process steps.'],
];

/**
 * The Prometheus metrics of an agent, in a registry of its own: events read/processed/parked, runs by
 * process and state with their durations, publish attempts and give-ups per sink, commits and commit
 * lag, per-partition lag (records, ms behind for Kinesis) and queue depth (AMQP), the processing state,
 * stalled partitions and checkpoint ages, the poison guard and sinks (`registerStallMetrics`), plus
 * Node's default process metrics. Names: `METRIC`.
 */
export class AgentMetrics {
  readonly registry = new Registry();
  private lastCommitAt: number | undefined;

  constructor(subject: MetricsSubject, labels: Readonly<Record<string, string>> = {}) {
    const registry = this.registry;
    registry.setDefaultLabels({ ...labels });
    collectDefaultMetrics({ register: registry, prefix: 'agentctl_process_' });
    const { stats, telemetry, state } = subject;

    for (const [field, name, help] of STAT_COUNTERS) {
      let seen = 0;
      new Counter({
        name,
        help,
        registers: [registry],
        collect() {
          const value = stats[field] as number;
          if (value > seen) this.inc(value - seen);
          seen = value;
        },
      });
    }

    const parked = new Counter({
      name: METRIC.eventsParked,
      help: 'Messages parked in the failed store, by reason.',
      labelNames: ['reason'],
      registers: [registry],
    });
    telemetry.on('parked', (e) => parked.inc({ reason: e.reason }));

    const runs = new Counter({
      name: METRIC.runs,
      help: 'Process runs that finished, by process and state.',
      labelNames: ['process', 'state'],
      registers: [registry],
    });
    const durations = new Histogram({
      name: METRIC.runDuration,
      help: 'Duration of finished process runs.',
      labelNames: ['process', 'state'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120],
      registers: [registry],
    });
    telemetry.on('run', ({ run }) => {
      if (run.state !== 'succeeded' && run.state !== 'failed') return;
      runs.inc({ process: run.process, state: run.state });
      if (run.startedAt !== undefined && run.finishedAt !== undefined) {
        durations.observe(
          { process: run.process, state: run.state },
          (run.finishedAt - run.startedAt) / 1000,
        );
      }
    });

    const attempts = new Counter({
      name: METRIC.publishAttempts,
      help: 'Publish attempts, by sink and outcome.',
      labelNames: ['sink', 'outcome'],
      registers: [registry],
    });
    const giveUps = new Counter({
      name: METRIC.publishGiveUps,
      help: 'Records parked after their publish retries ran out (or the sink was disabled).',
      labelNames: ['sink'],
      registers: [registry],
    });
    telemetry.on('attempt', (e) => {
      if (e.kind === 'publish') attempts.inc({ sink: e.name, outcome: e.ok ? 'ok' : 'failed' });
    });
    telemetry.on('effort', ({ effort }) => {
      if (effort.culmination === 'parked') giveUps.inc({ sink: effort.sink });
    });

    telemetry.on('commit', () => {
      this.lastCommitAt = Date.now();
    });
    const self = this;
    new Gauge({
      name: METRIC.commitLag,
      help: 'Seconds since the last commit (0 before the first).',
      registers: [registry],
      collect() {
        this.set(self.lastCommitAt === undefined ? 0 : (Date.now() - self.lastCommitAt) / 1000);
      },
    });

    new Gauge({
      name: METRIC.processingState,
      help: 'The agent’s ProcessingState: 1 for the current one.',
      labelNames: ['state'],
      registers: [registry],
      collect() {
        for (const s of PROCESSING_STATES) this.set({ state: s }, s === state.value ? 1 : 0);
      },
    });

    const lagRecords = new Gauge({
      name: METRIC.partitionLagRecords,
      help: 'Records between the committed and the latest position, per partition.',
      labelNames: ['partition'],
      registers: [registry],
    });
    const lagMs = new Gauge({
      name: METRIC.partitionLagMs,
      help: 'How far behind the head a partition is read (Kinesis MillisBehindLatest).',
      labelNames: ['partition'],
      registers: [registry],
    });
    const depth = new Gauge({
      name: METRIC.queueDepth,
      help: 'Messages in a queue: ready, and unacked (in flight to us).',
      labelNames: ['partition', 'kind'],
      registers: [registry],
    });
    const snapshot = snapshotPerScrape(subject);
    registerStallMetrics(registry, snapshot);
    const inFlight = new Gauge({
      name: METRIC.inFlight,
      help: 'Messages read and not yet done.',
      registers: [registry],
      async collect() {
        const taken = await snapshot();
        if (taken === undefined) return;
        this.set(taken.inFlight);
        lagRecords.reset();
        lagMs.reset();
        depth.reset();
        for (const p of taken.partitions) {
          if (p.lagRecords !== undefined) lagRecords.set({ partition: p.partition }, p.lagRecords);
          if (p.lagMs !== undefined) lagMs.set({ partition: p.partition }, p.lagMs);
          if (p.depth !== undefined) {
            depth.set({ partition: p.partition, kind: 'ready' }, p.depth.ready);
            depth.set({ partition: p.partition, kind: 'unacked' }, p.depth.unacked);
          }
        }
      },
    });
    void inFlight;
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
