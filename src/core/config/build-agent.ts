import type { AgentOptions, ConsumerSettings, PublisherSettings, RunnerChoice } from '../agent/agent.js';
import type { Clock } from '../clock.js';
import { DEFAULT_COMMIT_POLICY } from '../consumer/commit-policy.js';
import { UsageError } from '../errors/usage-error.js';
import type { CloudEvent } from '../events/cloud-event.js';
import { type ProcessDefinition, ProcessRegistry } from '../processes/process.js';
import { contingency } from '../publish/contingency.js';
import { openSink } from '../publish/open-sink.js';
import { RuleSet } from '../rules/rule-set.js';
import { openSource } from '../sources/open-source.js';
import { isPositionOf, type Source } from '../sources/source.js';
import { DEFAULT_STORE_PATH } from '../store/sqlite/store-defaults.js';
import type { StateStore } from '../store/state-store.js';
import { parseIsoTime } from '../time-argument.js';
import type { StartPosition } from '../types.js';
import type { AgentConfig, InitialPosition } from './agent-config.js';

/** Settings given on the command line (or env), which win over the config file. */
export interface AgentOverrides {
  readonly source?: string;
  readonly store?: string;
  /** `checkpoint`, `earliest`, `latest`, a position, or an ISO timestamp. */
  readonly from?: string;
  readonly runner?: 'inline' | 'pool' | 'queue';
  readonly concurrency?: number;
  readonly untilEmpty?: boolean;
  readonly maxEvents?: number;
  readonly sink?: string;
}

/** What the agent's settings resolve to, before anything is opened. */
export interface ResolvedSettings {
  readonly name: string;
  readonly source: string;
  readonly store: string;
  readonly sink: string;
  readonly initial: StartPosition;
}

const DEFAULT_SOURCE = 'local:';

/** The source a command acts on: the one given (flag or env), else the config's, else the embedded log. */
export function sourceUriOf(config: Pick<AgentConfig, 'source'>, given?: string): string {
  return given ?? config.source ?? DEFAULT_SOURCE;
}
const DEFAULT_SINK = 'local:results';
/** The reference parked records carry to the agent's configured sink (the config key that names it). */
export const AGENT_SINK_REF = 'publisher.sink';

/** What `--from` accepts, for its errors. */
export const FROM_FORMS =
  'give --from checkpoint, earliest, latest, a position as `agentctl checkpoint list` shows it (such as 1200), or an ISO time such as 2025-01-31T12:00:00Z';

/** Parses `--from`: a keyword, an ISO time, or a source position (applied where no checkpoint exists). */
export function parseFrom(from: string | InitialPosition | undefined): StartPosition {
  if (from === undefined || from === 'checkpoint' || from === 'earliest') return { kind: 'earliest' };
  if (from === 'latest') return { kind: 'latest' };
  if (/^\d{4}-\d{2}-\d{2}/.test(from)) {
    const ms = parseIsoTime(from);
    if (ms === undefined) {
      throw new UsageError(`--from: "${from}" is not a valid time`, { hint: FROM_FORMS });
    }
    return { kind: 'timestamp', ms };
  }
  return { kind: 'at', position: from };
}

/** Merges the config file with overrides (flags and env already merged by the CLI). */
export function resolveSettings(config: AgentConfig, overrides: AgentOverrides = {}): ResolvedSettings {
  return {
    name: config.name,
    source: sourceUriOf(config, overrides.source),
    store: overrides.store ?? config.store ?? DEFAULT_STORE_PATH,
    sink: overrides.sink ?? config.publisher?.sink ?? DEFAULT_SINK,
    initial: parseFrom(overrides.from ?? config.consumer?.from),
  };
}

export interface BuildAgentOptions {
  readonly config: AgentConfig;
  readonly overrides?: AgentOverrides;
  readonly store: StateStore;
  readonly clock?: Clock;
  /** Builds the `queue` runner (provided by the AMQP module). */
  readonly queueRunner?: RunnerChoice;
}

export interface BuiltAgent {
  readonly options: AgentOptions;
  readonly source: Source;
  readonly settings: ResolvedSettings;
}

/**
 * Turns a validated config plus overrides into the options of an `Agent`: opens (without connecting)
 * the source and the sink, builds the rule set and process registry, picks the runner.
 */
export async function buildAgentOptions(options: BuildAgentOptions): Promise<BuiltAgent> {
  const { config, store, clock } = options;
  const overrides = options.overrides ?? {};
  const settings = resolveSettings(config, overrides);
  const consumerConfig = config.consumer ?? {};
  const source = await openSource(settings.source, {
    store,
    group: settings.name,
    ...(clock ? { clock } : {}),
    ...(consumerConfig.localPartitions ? { localPartitions: consumerConfig.localPartitions } : {}),
    ...(config.adapters ? { settings: config.adapters } : {}),
  });
  if (settings.initial.kind === 'at' && !isPositionOf(source, settings.initial.position)) {
    await source.close();
    throw new UsageError(`--from: "${settings.initial.position}" is not a position of ${source.uri}`, {
      hint: FROM_FORMS,
    });
  }
  const sink = await openSink(settings.sink, {
    store,
    ...(config.adapters ? { settings: config.adapters } : {}),
  });
  const runnerKind = overrides.runner ?? config.runner?.kind ?? 'inline';
  let runner: RunnerChoice;
  if (runnerKind === 'queue') {
    runner = options.queueRunner ?? (await configuredQueueRunner(config, store, settings.name));
  } else if (runnerKind === 'pool') {
    runner = { kind: 'pool', concurrency: overrides.concurrency ?? config.runner?.concurrency ?? 8 };
  } else {
    runner = { kind: 'inline' };
  }
  const publisherConfig = config.publisher ?? {};
  const publisher: PublisherSettings | undefined =
    sink === undefined
      ? undefined
      : {
          sink,
          // A sink given by --sink/AGENTCTL_SINK is not found in the config again: its records keep only
          // the sink's name, and replay matches it against its own sink or takes --sink.
          ...(overrides.sink === undefined ? { sinkRef: AGENT_SINK_REF } : {}),
          contingency: contingency(publisherConfig.contingency ?? {}),
          ...(publisherConfig.disableAfter === undefined
            ? {}
            : { disableAfter: publisherConfig.disableAfter }),
          ...(publisherConfig.coolDownMs === undefined ? {} : { coolDownMs: publisherConfig.coolDownMs }),
          ...(publisherConfig.attemptTimeoutMs === undefined
            ? {}
            : { attemptTimeoutMs: publisherConfig.attemptTimeoutMs }),
        };
  const commitPolicy = consumerConfig.commitPolicy
    ? { ...DEFAULT_COMMIT_POLICY, ...consumerConfig.commitPolicy }
    : undefined;
  const consumer: ConsumerSettings = {
    initial: settings.initial,
    ...(commitPolicy ? { commitPolicy } : {}),
    ...(consumerConfig.poisonLimit
      ? { poisonLimit: { maxConsecutive: 100, maxRatio: 1, window: 1_000, ...consumerConfig.poisonLimit } }
      : {}),
    ...(consumerConfig.pollMax === undefined ? {} : { pollMax: consumerConfig.pollMax }),
    ...(consumerConfig.pauseAfterMs === undefined ? {} : { pauseAfterMs: consumerConfig.pauseAfterMs }),
    ...(consumerConfig.leaseTtlMs === undefined ? {} : { leaseTtlMs: consumerConfig.leaseTtlMs }),
    ...(consumerConfig.drainTimeoutMs === undefined ? {} : { drainTimeoutMs: consumerConfig.drainTimeoutMs }),
    ...(consumerConfig.heartbeatMs === undefined ? {} : { heartbeatMs: consumerConfig.heartbeatMs }),
    ...(consumerConfig.stallAfterMs === undefined ? {} : { stallAfterMs: consumerConfig.stallAfterMs }),
    ...(consumerConfig.stuckStepMs === undefined ? {} : { stuckStepMs: consumerConfig.stuckStepMs }),
    ...(overrides.untilEmpty === undefined ? {} : { untilEmpty: overrides.untilEmpty }),
    ...(overrides.maxEvents === undefined ? {} : { maxEvents: overrides.maxEvents }),
  };
  const agentOptions: AgentOptions = {
    name: settings.name,
    store,
    source,
    rules: new RuleSet(config.rules ?? []),
    processes: new ProcessRegistry(
      (config.processes ?? []) as readonly ProcessDefinition<CloudEvent, never>[],
    ),
    runner,
    consumer,
    ...(config.decode ? { decode: config.decode } : {}),
    ...(publisher ? { publisher } : {}),
    ...(clock ? { clock } : {}),
    ...(config.healthcheckFile ? { healthcheckFile: config.healthcheckFile } : {}),
  };
  return { options: agentOptions, source, settings };
}

/** The AMQP `QueueRunner` of `runner: { kind: 'queue', endpoint, url }`, loaded only when used. */
async function configuredQueueRunner(
  config: AgentConfig,
  store: StateStore,
  group: string,
): Promise<RunnerChoice> {
  const { queueRunner } = await import('../remote/queue-runner.js');
  const { DEFAULT_AMQP_URL } = await import('../transports/amqp/amqp-uri.js');
  return queueRunner({
    url: config.runner?.url ?? process.env.AMQP_URL ?? DEFAULT_AMQP_URL,
    endpoint: config.runner?.endpoint ?? 'default',
    store,
    group,
    ...(config.adapters === undefined ? {} : { settings: config.adapters }),
  });
}
