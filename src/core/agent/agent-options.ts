import type { Clock } from '../clock.js';
import type { CommitPolicy } from '../consumer/commit-policy.js';
import type { PoisonLimit } from '../consumer/poison-guard.js';
import type { EventDecoder } from '../events/cloud-event.js';
import type { ProcessRegistry } from '../processes/process.js';
import type { Contingency } from '../publish/contingency.js';
import type { Sink } from '../publish/publisher.js';
import type { RuleSet } from '../rules/rule-set.js';
import type { Runner, RunnerContext } from '../runners/runner.js';
import type { Source } from '../sources/source.js';
import type { StateStore } from '../store/state-store.js';
import type { StartPosition } from '../types.js';

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
  /** A partition behind whose checkpoint has not moved this long is STALLED (default 60 s). */
  readonly stallAfterMs?: number;
  /** A step without a timeout of its own is stuck after running this long (default `stallAfterMs`). */
  readonly stuckStepMs?: number;
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
