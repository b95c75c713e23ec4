import type { CommitPolicy } from '../consumer/commit-policy.js';
import type { PoisonLimit } from '../consumer/poison-guard.js';
import type { CloudEvent, EventDecoder } from '../events/cloud-event.js';
import type { ProcessDefinition } from '../processes/process.js';
import type { Contingency } from '../publish/contingency.js';
import type { Rule } from '../rules/rule.js';

/** Where partitions without a checkpoint start. */
export type InitialPosition = 'checkpoint' | 'earliest' | 'latest';

/**
 * An agent as written in `agentctl.config.ts` (`export default defineAgent({...})`). Everything but
 * `name` has a default; relative paths are resolved against the config file's directory.
 */
export interface AgentConfig {
  /** The agent's name; also its consumer group: checkpoints, leases and runs belong to it. */
  readonly name: string;
  /** Source URI (default `local:` — the embedded log). */
  readonly source?: string;
  /** State store: a SQLite file path (default `.agentctl/agent.db`). */
  readonly store?: string;
  /** Turns raw bytes into a CloudEvent (default: CloudEvents JSON). */
  readonly decode?: EventDecoder;
  readonly rules?: readonly Rule<CloudEvent>[];
  // biome-ignore lint/suspicious/noExplicitAny: processes are declared with their own event and params types
  readonly processes?: readonly ProcessDefinition<any, any>[];
  readonly runner?: RunnerConfig;
  readonly publisher?: PublisherConfig;
  readonly consumer?: ConsumerConfig;
  /** A file touched while the consumer is healthy (liveness probes). */
  readonly healthcheckFile?: string;
  /** Adapter settings by source kind (e.g. `kinesis`, `amqp`), passed to the adapter as they are. */
  readonly adapters?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

export interface RunnerConfig {
  /** `inline` (default), `pool`, or `queue` (RabbitMQ task queue worked by `agentctl worker`). */
  readonly kind?: 'inline' | 'pool' | 'queue';
  /** Runs at once for `pool` (default 8). */
  readonly concurrency?: number;
  /** Worker group of the `queue` runner (default `default`). */
  readonly endpoint?: string;
  /** Broker URL of the `queue` runner (default: AMQP_URL or the local broker). */
  readonly url?: string;
}

export interface PublisherConfig {
  /** Sink URI: `local:TOPIC` (default `local:results`), `stdout`, `file:PATH`, `kinesis://…`, `amqp://…`, `none`. */
  readonly sink?: string;
  readonly contingency?: Partial<Omit<Contingency, 'reaction'>> & Pick<Partial<Contingency>, 'reaction'>;
  /** Consecutive failures that disable the sink for a cool-down (default 5). */
  readonly disableAfter?: number;
  readonly coolDownMs?: number;
  readonly attemptTimeoutMs?: number;
}

export interface ConsumerConfig {
  readonly commitPolicy?: Partial<CommitPolicy>;
  readonly poisonLimit?: Partial<PoisonLimit>;
  readonly pollMax?: number;
  readonly pauseAfterMs?: number;
  readonly from?: InitialPosition;
  readonly leaseTtlMs?: number;
  readonly drainTimeoutMs?: number;
  readonly heartbeatMs?: number;
  /** Partitions of local topics this agent creates (default 4). */
  readonly localPartitions?: number;
  /** A partition behind whose checkpoint has not moved this long is STALLED (default 60000). */
  readonly stallAfterMs?: number;
  /** A step without a `timeoutMs` of its own is stuck after running this long (default `stallAfterMs`). */
  readonly stuckStepMs?: number;
}
