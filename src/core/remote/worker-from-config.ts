import { isAbsolute, join, resolve } from 'node:path';
import type { CloudEvent } from '../events/cloud-event.js';
import { type ProcessDefinition, ProcessRegistry } from '../processes/process.js';
import { redactUri } from '../redact.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import { DEFAULT_AMQP_URL } from '../transports/amqp/amqp-uri.js';
import { endpointTopology } from './task-topology.js';
import { WorkerService } from './worker-service.js';

/**
 * What a worker reads of an agent config (an `AgentConfig` is one). Named here rather than imported:
 * `config/` builds the queue runner, so `remote/` stays below it.
 */
export interface WorkerConfig {
  // biome-ignore lint/suspicious/noExplicitAny: processes are declared with their own event and params types
  readonly processes?: readonly ProcessDefinition<any, any>[];
  readonly runner?: { readonly endpoint?: string; readonly url?: string; readonly concurrency?: number };
  readonly adapters?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/** Settings given on the command line (or env), which win over the config file. */
export interface WorkerOverrides {
  readonly endpoint?: string;
  readonly url?: string;
  readonly concurrency?: number;
  readonly outbox?: string;
}

/** What a worker built from a config will do, for the operator (no credentials). */
export interface WorkerPlan {
  readonly endpoint: string;
  readonly tasks: string;
  readonly broker: string;
  readonly concurrency: number;
  readonly outbox: string;
  readonly processes: readonly string[];
}

/**
 * The worker for an agent config: its processes, the `runner` endpoint and broker URL (overrides first,
 * then `runner.endpoint`/`runner.url`, then `AMQP_URL` and the local broker), and its outbox file
 * (default `.agentctl/worker-<endpoint>.db` next to the config).
 */
export function workerFromConfig(
  config: WorkerConfig,
  configDir: string,
  overrides: WorkerOverrides = {},
  telemetry?: Telemetry,
): { service: WorkerService; plan: WorkerPlan } {
  const endpoint = overrides.endpoint ?? config.runner?.endpoint ?? 'default';
  const url = overrides.url ?? config.runner?.url ?? process.env.AMQP_URL ?? DEFAULT_AMQP_URL;
  const concurrency = overrides.concurrency ?? config.runner?.concurrency ?? 4;
  const outbox =
    overrides.outbox === undefined
      ? join(configDir, '.agentctl', `worker-${endpoint}.db`)
      : isAbsolute(overrides.outbox)
        ? overrides.outbox
        : resolve(overrides.outbox);
  const processes = new ProcessRegistry(
    (config.processes ?? []) as readonly ProcessDefinition<CloudEvent, never>[],
  );
  const service = new WorkerService({
    url,
    endpoint,
    processes,
    outboxPath: outbox,
    concurrency,
    ...(config.adapters === undefined ? {} : { settings: config.adapters }),
    ...(telemetry === undefined ? {} : { telemetry }),
  });
  return {
    service,
    plan: {
      endpoint,
      tasks: endpointTopology(endpoint).tasks,
      broker: redactUri(url),
      concurrency,
      outbox,
      processes: processes.names(),
    },
  };
}
