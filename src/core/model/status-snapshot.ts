import type { ProcessingStateName } from '../state/processing-state.js';
import type { Checkpointing, Coordination, PartitionStatus } from './partition-status.js';
import type { RunInFlight, StallSettings } from './stall.js';
import type { StatsSnapshot } from './stats.js';

/** A sink as the publisher status board sees it. */
export interface SinkStatus {
  readonly name: string;
  readonly enabled: boolean;
  /** When it was last enabled or disabled. */
  readonly since: number;
  readonly consecutiveFailures: number;
  /** When a disabled sink will be tried again. */
  readonly retryAt?: number;
  readonly lastError?: string;
}

/**
 * What an agent publishes about itself every heartbeat (into the `agents` table), and what `status` and
 * the TUI read. Plain JSON.
 */
export interface StatusSnapshot {
  readonly agentId: string;
  readonly name: string;
  readonly state: ProcessingStateName;
  readonly stateSince: number;
  readonly startedAt: number;
  readonly takenAt: number;
  readonly source: {
    readonly uri: string;
    readonly id: string;
    /** How agents share its partitions (absent in snapshots of older agents). */
    readonly coordination?: Coordination;
    /** Who keeps its positions: the store (checkpoints) or the broker (acks). */
    readonly checkpointing?: Checkpointing;
  };
  readonly counters: StatsSnapshot;
  /** Events done per second over the last interval, and a short history for sparklines (oldest first). */
  readonly throughput: { readonly perSecond: number; readonly history: readonly number[] };
  /** Share of done messages that were parked, over the same window. */
  readonly errorRate: number;
  readonly partitions: readonly PartitionStatus[];
  readonly sinks: readonly SinkStatus[];
  readonly runner: { readonly kind: string; readonly inFlight: number; readonly concurrency: number };
  /** Messages tracked but not yet done. */
  readonly inFlight: number;
  readonly lastError?: string;
  /** When this agent calls a partition stalled and a step stuck (absent in snapshots of older agents). */
  readonly stall?: StallSettings;
  /** The oldest process runs executing now, with their step and attempts. */
  readonly runsInFlight?: readonly RunInFlight[];
  /** Why the poison guard tripped (the consumer stopped instead of parking everything), once it did. */
  readonly poisonStorm?: string;
}

/** How far a running agent got, as `consume` reports it every second (line on a terminal, or NDJSON). */
export interface ConsumeProgress {
  readonly state: string;
  readonly read: number;
  readonly processed: number;
  readonly parked: number;
  readonly perSecond: number;
  /** Records behind, summed over the partitions that know it; undefined when none does. */
  readonly lag: number | undefined;
}

/** The progress a snapshot shows. */
export function progressOf(snapshot: StatusSnapshot): ConsumeProgress {
  let lag: number | undefined;
  for (const p of snapshot.partitions) if (p.lagRecords !== undefined) lag = (lag ?? 0) + p.lagRecords;
  return {
    state: snapshot.state,
    read: snapshot.counters.read,
    processed: snapshot.counters.processed,
    parked: snapshot.counters.parked,
    perSecond: snapshot.throughput.perSecond,
    lag,
  };
}
