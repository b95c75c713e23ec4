import type { Clock } from '../clock.js';
import type { Stats } from '../model/stats.js';
import type { Source } from '../sources/source.js';
import type { ProcessingState } from '../state/processing-state.js';
import type { Journal } from '../store/journal.js';
import type { StateStore } from '../store/state-store.js';
import type { ProcessingStrategyFactory } from '../strategies/processing-strategy.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { Bytes, StartPosition } from '../types.js';
import type { Assignor } from './assignor.js';
import type { CommitPolicy } from './commit-policy.js';
import type { PoisonGuard, PoisonLimit } from './poison-guard.js';

/** What a `StreamProcessor` is built from: its ports, the group it commits for, and its limits. */
export interface StreamProcessorOptions {
  readonly source: Source;
  readonly store: StateStore;
  readonly assignor: Assignor;
  readonly factory: ProcessingStrategyFactory<Bytes>;
  /** The consumer group (agent name) checkpoints belong to. */
  readonly group: string;
  /** This agent's id, recorded as checkpoint writer. */
  readonly owner: string;
  readonly journal: Journal;
  readonly clock: Clock;
  readonly telemetry: Telemetry;
  readonly stats: Stats;
  readonly state?: ProcessingState;
  readonly commitPolicy?: CommitPolicy;
  readonly poisonLimit?: PoisonLimit;
  /**
   * The guard to count with instead of one built from `poisonLimit`: one that gates the pipeline's runner
   * (`PoisonGuard.gate`), so that a storm starts no run past its limit.
   */
  readonly poisonGuard?: PoisonGuard;
  /** Where partitions without a checkpoint start (default earliest). */
  readonly initial?: StartPosition;
  /** Most messages taken per source poll (default 500). */
  readonly pollMax?: number;
  /** A partition whose message is rejected this long is paused at the source (default 5 s). */
  readonly pauseAfterMs?: number;
  /** Stop (draining) once the source is caught up and everything read is done. */
  readonly untilEmpty?: boolean;
  /** Stop (draining) after this many messages were read. */
  readonly maxEvents?: number;
  /** Time given to in-flight work when draining (default 30 s). */
  readonly drainTimeoutMs?: number;
}

/** What a finished `run()` reports. */
export interface ProcessorSummary {
  readonly read: number;
  readonly done: number;
  readonly commits: number;
  readonly durationMs: number;
  /** Why it stopped. */
  readonly stoppedBy: 'empty' | 'max-events' | 'drain' | 'signal' | 'terminate';
}
