import { describe, expect, it } from 'vitest';
import { agentStatus, type StatusReport } from '../../../src/core/ops/status.js';
import type { AgentRecord } from '../../../src/core/store/records.js';
import { renderStatus } from '../../../src/ui/text/status.js';

const T0 = 1_800_000_000_000;

function record(overrides: Partial<AgentRecord> = {}): AgentRecord {
  return {
    id: 'orders@host-1#4242',
    name: 'orders',
    group: 'orders',
    host: 'host-1',
    pid: 4242,
    source: 'amqp:orders',
    state: 'ACTIVE',
    startedAt: T0,
    heartbeatAt: T0 + 60_000,
    version: '0.1.0',
    ...overrides,
  };
}

function report(agents: StatusReport['agents'], now: number): StatusReport {
  return {
    store: { kind: 'sqlite', location: 'agent.db' },
    takenAt: now,
    agents,
    partitions: [],
    runs: { byProcess: [], active: [] },
    efforts: [],
    sinks: [],
    failed: { pending: 0, byReason: {} },
    health: { ok: true, stalled: [], lagging: [], poisonStorms: [], problems: [] },
  };
}

describe('agentStatus', () => {
  it('Given an agent that stopped heartbeating an hour ago, When status is taken, Then its UP stops at its last heartbeat and it is OFFLINE since then', () => {
    const now = T0 + 3_600_000;
    const dead = agentStatus(record(), now, 15_000);

    expect(dead).toMatchObject({ alive: false, state: 'OFFLINE', upMs: 60_000, stateSince: T0 + 60_000 });
    expect(renderStatus(report([dead], now))).toMatch(/OFFLINE 59m0s .* 1m0s +59m0s ago/);
  });

  it('Given a live agent that reported OFFLINE with its reason, When status is taken, Then it shows OFFLINE since when it said so, and the reason', () => {
    const now = T0 + 70_000;
    const snapshot = {
      state: 'OFFLINE',
      stateSince: T0 + 58_000,
      source: { uri: 'amqp://ops:***@mq:5672/?queue=orders', id: 'amqp:orders' },
      throughput: { perSecond: 0, history: [] },
      inFlight: 3,
      lastError: 'connection to amqp://ops:***@mq:5672 lost: ECONNRESET',
    } as unknown as NonNullable<AgentRecord['snapshot']>;
    const live = agentStatus(record({ state: 'OFFLINE', heartbeatAt: T0 + 69_500, snapshot }), now, 15_000);

    expect(live).toMatchObject({ alive: true, state: 'OFFLINE', stateSince: T0 + 58_000, upMs: 70_000 });
    const text = renderStatus(report([live], now));
    expect(text).toMatch(/OFFLINE 12s/);
    expect(text).toContain('orders@host-1#4242: connection to amqp://ops:***@mq:5672 lost: ECONNRESET');
  });
});
