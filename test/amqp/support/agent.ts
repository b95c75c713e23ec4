import { Agent, type AgentOptions } from '../../../src/core/agent/agent.js';
import type { CloudEvent } from '../../../src/core/events/cloud-event.js';
import {
  defineProcess,
  type ProcessDefinition,
  ProcessRegistry,
} from '../../../src/core/processes/process.js';
import { rule } from '../../../src/core/rules/rule.js';
import { RuleSet } from '../../../src/core/rules/rule-set.js';
import type { Source } from '../../../src/core/sources/source.js';
import type { SqliteStateStore } from '../../../src/core/store/sqlite/sqlite-state-store.js';
import { submissionEvent } from '../../core/agent/fixtures.js';

/** `n` submission events as JSON strings, ids `evt-<from>` … */
export function events(n: number, from = 0): string[] {
  return Array.from({ length: n }, (_, i) => JSON.stringify(submissionEvent(from + i)));
}

/** A process `count` that counts executions per event id into `counts` (and may do more first). */
export function counting(
  counts: Map<string, number>,
  before?: (event: CloudEvent, seen: number) => unknown,
): ProcessDefinition<CloudEvent, never> {
  return defineProcess({
    name: 'count',
    steps: [
      {
        name: 'count',
        run: ({ event }) => {
          counts.set(event.id, (counts.get(event.id) ?? 0) + 1);
          const extra = before?.(event, counts.size);
          return extra instanceof Promise ? extra.then(() => event.id) : event.id;
        },
      },
    ],
  });
}

/** An agent reading `source` whose one rule runs `process` for every `submission.created`. */
export function amqpAgent(
  store: SqliteStateStore,
  source: Source,
  process: ProcessDefinition<CloudEvent, never>,
  options: Partial<Omit<AgentOptions, 'store' | 'source' | 'rules' | 'processes'>> = {},
): Agent {
  const { consumer, ...rest } = options;
  return new Agent({
    name: 'amqp-test',
    store,
    source,
    rules: new RuleSet([rule({ name: 'count-created', on: 'submission.created', process: process.name })]),
    processes: new ProcessRegistry([process]),
    ...rest,
    consumer: {
      heartbeatMs: 100,
      leaseTtlMs: 1_000,
      untilEmpty: true,
      commitPolicy: { intervalMs: 200, messages: 250 },
      ...consumer,
    },
  });
}
