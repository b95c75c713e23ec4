import { join } from 'node:path';
import { Agent, type AgentOptions } from '../../../src/core/agent/agent.js';
import type { CloudEvent } from '../../../src/core/events/cloud-event.js';
import {
  defineProcess,
  type ProcessDefinition,
  ProcessRegistry,
} from '../../../src/core/processes/process.js';
import type { Rule } from '../../../src/core/rules/rule.js';
import { RuleSet } from '../../../src/core/rules/rule-set.js';
import { LocalSource } from '../../../src/core/sources/local-source.js';
import { openSqliteStore, type SqliteStateStore } from '../../../src/core/store/sqlite/sqlite-state-store.js';

const encoder = new TextEncoder();

/** A CloudEvent of the submission domain with a deterministic id and time. */
export function submissionEvent(
  i: number,
  type = 'submission.created',
  data: Record<string, unknown> = {},
): CloudEvent {
  return {
    specversion: '1.0',
    id: `evt-${i}`,
    source: '/tests/submissions',
    type,
    time: new Date(1_795_000_000_000 + i).toISOString(),
    subject: `sub-${i % 17}`,
    data: { n: i, ...data },
  };
}

/** `count` submission events, numbered from `from`. */
export function submissionEvents(count: number, from = 0): CloudEvent[] {
  return Array.from({ length: count }, (_, i) => submissionEvent(from + i));
}

/** Appends events (or raw strings) to a local topic. */
export async function publish(
  store: SqliteStateStore,
  events: readonly (CloudEvent | string)[],
  topic = 'events',
) {
  await store.log.append(
    topic,
    events.map((e) => ({
      value: encoder.encode(typeof e === 'string' ? e : JSON.stringify(e)),
      ...(typeof e === 'string' ? {} : { key: e.subject as string }),
    })),
  );
}

export async function openStore(dir: string): Promise<SqliteStateStore> {
  return openSqliteStore({ path: join(dir, 'agent.db') });
}

export interface TestAgentOptions
  extends Partial<Omit<AgentOptions, 'rules' | 'processes' | 'store' | 'source'>> {
  readonly rules: readonly Rule[];
  readonly processes: readonly ProcessDefinition<CloudEvent, never>[];
  readonly topic?: string;
}

/** An agent on the local log of `store`, with fast heartbeats and leases for tests. */
export function testAgent(store: SqliteStateStore, options: TestAgentOptions): Agent {
  const { rules, processes, topic, consumer, ...rest } = options;
  return new Agent({
    name: 'test-agent',
    store,
    source: new LocalSource({
      store,
      topic: topic ?? 'events',
      group: rest.name ?? 'test-agent',
      idleMs: 10,
    }),
    rules: new RuleSet(rules),
    processes: new ProcessRegistry(processes),
    ...rest,
    consumer: { heartbeatMs: 50, leaseTtlMs: 1_000, untilEmpty: true, ...consumer },
  });
}

/** A process that counts executions per event id into `counts`. */
export function countingProcess(
  name: string,
  counts: Map<string, number>,
): ProcessDefinition<CloudEvent, never> {
  return defineProcess({
    name,
    steps: [
      {
        name: 'count',
        run: ({ event }) => {
          counts.set(event.id, (counts.get(event.id) ?? 0) + 1);
          return event.id;
        },
      },
    ],
  });
}

/** A process `slow` whose one step, `wait`, takes `ms` and then hands the event to `onRun`. */
export function slowProcess(
  ms: number,
  onRun: (event: CloudEvent) => void = () => {},
): ProcessDefinition<CloudEvent, never> {
  return defineProcess({
    name: 'slow',
    steps: [
      {
        name: 'wait',
        run: async ({ event }) => {
          await new Promise((resolve) => setTimeout(resolve, ms));
          onRun(event);
        },
      },
    ],
  }) as ProcessDefinition<CloudEvent, never>;
}
