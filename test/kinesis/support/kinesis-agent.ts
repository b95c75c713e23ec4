import { join } from 'node:path';
import { Agent, type AgentOptions } from '../../../src/core/agent/agent.js';
import type { CloudEvent } from '../../../src/core/events/cloud-event.js';
import {
  defineProcess,
  type ProcessDefinition,
  ProcessRegistry,
} from '../../../src/core/processes/process.js';
import { rule } from '../../../src/core/rules/rule.js';
import { RuleSet } from '../../../src/core/rules/rule-set.js';
import { KinesisSource } from '../../../src/core/sources/kinesis/kinesis-source.js';
import { openSqliteStore, type SqliteStateStore } from '../../../src/core/store/sqlite/sqlite-state-store.js';
import type { Kinesalite } from './kinesalite.js';

export const GROUP = 'kinesis-agent';

/** A CloudEvent whose `data` says which key it belongs to and its place in that key's order. */
export function keyedEvent(n: number, key: string, seq: number): CloudEvent {
  return {
    specversion: '1.0',
    id: `evt-${n}`,
    source: '/tests/kinesis',
    type: 'order.placed',
    time: new Date(1_795_000_000_000 + n).toISOString(),
    subject: key,
    data: { n, key, seq },
  };
}

/** Events spread over `keys` partition keys; `seq` numbers each key's events from 0. */
export function keyedEvents(
  count: number,
  keys: number,
  offset = 0,
): { key: string; data: string; event: CloudEvent }[] {
  return Array.from({ length: count }, (_, i) => {
    const n = offset + i;
    const key = `key-${n % keys}`;
    const event = keyedEvent(n, key, Math.floor(n / keys));
    return { key, data: JSON.stringify(event), event };
  });
}

export async function openStore(dir: string): Promise<SqliteStateStore> {
  return openSqliteStore({ path: join(dir, 'agent.db') });
}

/** What a recording process saw, in processing order. */
export interface Seen {
  readonly events: CloudEvent[];
  /** Awaited before an event is recorded: lets a test hold the agent in the middle of the stream. */
  hold?: (event: CloudEvent) => Promise<void> | undefined;
}

export function recordingProcess(seen: Seen): ProcessDefinition<CloudEvent, never> {
  return defineProcess({
    name: 'record',
    steps: [
      {
        name: 'record',
        run: ({ event }) => {
          const record = () => {
            seen.events.push(event);
            return event.id;
          };
          const held = seen.hold?.(event);
          return held === undefined ? record() : held.then(record);
        },
      },
    ],
  });
}

/** An agent on a Kinesis stream of `server`, with one rule (`order.*` → `record`) and fast leases. */
export function kinesisAgent(
  server: Kinesalite,
  stream: string,
  store: SqliteStateStore,
  seen: Seen,
  options: Partial<Omit<AgentOptions, 'store' | 'source' | 'rules' | 'processes'>> = {},
): { agent: Agent; source: KinesisSource } {
  const source = new KinesisSource({
    stream,
    client: server.client(),
    ownsClient: true,
    uri: server.uri(stream),
    store,
    group: GROUP,
  });
  const { consumer, ...rest } = options;
  const agent = new Agent({
    name: GROUP,
    store,
    source,
    rules: new RuleSet([rule({ name: 'record-orders', on: 'order.*', process: 'record' })]),
    processes: new ProcessRegistry([recordingProcess(seen)]),
    ...rest,
    consumer: {
      heartbeatMs: 100,
      leaseTtlMs: 2_000,
      untilEmpty: true,
      commitPolicy: { intervalMs: 200, messages: 2_000 },
      ...consumer,
    },
  });
  return { agent, source };
}
