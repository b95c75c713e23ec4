import { ConfigError } from '../errors/config-error.js';
import type { CloudEvent } from '../events/cloud-event.js';
import type { RetryPolicy } from '../retry/retry-policy.js';

/** What a step gets: the event, the rule's parameters and the results of the steps before it. */
export interface StepContext<E extends CloudEvent = CloudEvent, P = unknown> {
  readonly event: E;
  readonly params: P;
  /** Results of the earlier steps of this run, by step name. */
  readonly results: Readonly<Record<string, unknown>>;
  readonly run: { readonly id: string; readonly rule: string; readonly process: string };
  /** 1 for the first try of this step, 2 for its first retry, … */
  readonly attempt: number;
  /** Aborts on shutdown or when the step's `timeoutMs` passes. */
  readonly signal: AbortSignal;
}

/**
 * One named step. Throw `FatalError` for a failure that can never pass (no retry); anything else thrown
 * is transient and retried under the step's policy (or the process's, or the default).
 */
export interface StepDefinition<E extends CloudEvent = CloudEvent, P = unknown> {
  readonly name: string;
  run(context: StepContext<E, P>): unknown;
  readonly retry?: Partial<RetryPolicy>;
  /** A try that takes longer fails (transiently) and its signal aborts. */
  readonly timeoutMs?: number;
}

/** What a custom `publish` function is told about the run. */
export interface PublishContext<E extends CloudEvent = CloudEvent> {
  readonly event: E;
  readonly runId: string;
  readonly rule: string;
  readonly process: string;
}

/** What to publish for a succeeded run; `undefined` publishes nothing. */
export interface PublishSpec {
  readonly key?: string;
  /** JSON-serialisable value, or bytes sent as they are. */
  readonly value: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * A process: named steps run in order. With `publish: true` the run's output (the last step's result) is
 * published to the agent's sink as `{ runId, eventId, eventType, rule, process, output }`; a function
 * chooses the record itself.
 */
export interface ProcessDefinition<E extends CloudEvent = CloudEvent, P = unknown> {
  readonly name: string;
  readonly steps: readonly StepDefinition<E, P>[];
  /** Default retry policy of its steps. */
  readonly retry?: Partial<RetryPolicy>;
  readonly publish?: boolean | ((output: unknown, context: PublishContext<E>) => PublishSpec | undefined);
}

/** Declares a process, checking that it has steps with unique names. */
export function defineProcess<E extends CloudEvent = CloudEvent, P = unknown>(
  definition: ProcessDefinition<E, P>,
): ProcessDefinition<E, P> {
  if (definition.steps.length === 0)
    throw new ConfigError(`process "${definition.name}" has no steps`, 'processes');
  const names = new Set<string>();
  for (const step of definition.steps) {
    if (names.has(step.name)) {
      throw new ConfigError(`process "${definition.name}" has two steps named "${step.name}"`, 'processes');
    }
    names.add(step.name);
  }
  return definition;
}

/** The processes of an agent by name. */
export class ProcessRegistry {
  private readonly byName = new Map<string, ProcessDefinition<CloudEvent, unknown>>();

  constructor(processes: readonly ProcessDefinition<CloudEvent, never>[]) {
    for (const p of processes) {
      if (this.byName.has(p.name)) throw new ConfigError(`two processes are named "${p.name}"`, 'processes');
      this.byName.set(p.name, p as ProcessDefinition<CloudEvent, unknown>);
    }
  }

  get(name: string): ProcessDefinition<CloudEvent, unknown> | undefined {
    return this.byName.get(name);
  }

  /** @throws ConfigError when no process has this name. */
  require(name: string): ProcessDefinition<CloudEvent, unknown> {
    const p = this.byName.get(name);
    if (p === undefined) throw new ConfigError(`no process is named "${name}"`, 'processes');
    return p;
  }

  names(): string[] {
    return [...this.byName.keys()];
  }
}
