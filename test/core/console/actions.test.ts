import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentConfig } from '../../../src/core/config/agent-config.js';
import { consoleActions, ReadonlyConsoleError } from '../../../src/core/console/actions.js';
import type { LiveAgent } from '../../../src/core/console/data.js';
import { defineProcess } from '../../../src/core/processes/process.js';
import { rule } from '../../../src/core/rules/rule.js';
import { openSqliteStore, type SqliteStateStore } from '../../../src/core/store/sqlite/sqlite-state-store.js';
import { Telemetry } from '../../../src/core/telemetry/telemetry.js';
import { tempDir } from '../../support/temp.js';

const encoder = new TextEncoder();
let stores: SqliteStateStore[] = [];

afterEach(async () => {
  await Promise.all(stores.map((s) => s.close()));
  stores = [];
});

const config: AgentConfig = {
  name: 'orders',
  publisher: { sink: 'none' },
  rules: [rule({ name: 'score-order', on: 'order.created', process: 'score' })],
  processes: [defineProcess({ name: 'score', steps: [{ name: 'score', run: ({ event }) => event.id }] })],
};

/** A store with two parked events of `orders` and a local topic of 2 partitions with 10 records each. */
async function givenAStore(): Promise<SqliteStateStore> {
  const store = await openSqliteStore({ path: join(tempDir('console-actions-'), 'agent.db') });
  stores.push(store);
  const event = (n: number) =>
    encoder.encode(
      JSON.stringify({
        specversion: '1.0',
        id: `evt-${n}`,
        source: '/shop',
        type: 'order.created',
        data: { n },
      }),
    );
  await store.flush({
    runs: [],
    ledger: [],
    efforts: [],
    parked: [1, 2].map((n) => ({
      group: 'orders',
      source: 'local:events',
      partition: '0',
      position: String(n),
      reason: 'process' as const,
      kind: 'event' as const,
      error: 'boom',
      rule: 'score-order',
      process: 'score',
      attempts: 1,
      raw: event(n),
      timestamp: n,
      failedAt: n,
      key: `k-${n}`,
    })),
  });
  await store.log.ensureTopic('events', 2);
  for (const partition of [0, 1]) {
    await store.log.append(
      'events',
      Array.from({ length: 10 }, (_, n) => ({ value: event(n), partition })),
    );
  }
  return store;
}

const statuses = async (store: SqliteStateStore) =>
  (await store.failed.list({ status: 'any' })).map((item) => [item.id, item.status]);

describe('consoleActions', () => {
  it('read-only: refuses every action in the action layer, and changes nothing', async () => {
    const store = await givenAStore();
    const actions = consoleActions({ store, config, readonly: true });
    const target = { group: 'orders', sourceId: 'local:events', partition: '0' };
    expect(actions.readonly).toBe(true);
    await expect(actions.replay([1])).rejects.toThrow(ReadonlyConsoleError);
    await expect(actions.discard([1])).rejects.toThrow('the console is read-only: discard is disabled');
    await expect(actions.setCheckpoint(target, '5')).rejects.toThrow(ReadonlyConsoleError);
    await expect(actions.resetCheckpoints([target], 'latest')).rejects.toThrow(ReadonlyConsoleError);
    await expect(actions.drain(undefined)).rejects.toThrow(ReadonlyConsoleError);
    expect(await statuses(store)).toEqual([
      [1, 'pending'],
      [2, 'pending'],
    ]);
    expect(await store.checkpoints.list()).toEqual([]);
  });

  it('replays and discards failed messages by id through the core services', async () => {
    const store = await givenAStore();
    const actions = consoleActions({ store, config });
    const progress: number[] = [];
    const summary = await actions.replay([2], { onProgress: (p) => progress.push(p.done) });
    expect(summary).toMatchObject({ selected: 1, replayed: 1, failedAgain: 0 });
    expect(progress).toEqual([1]);
    expect(await actions.discard([1])).toBe(1);
    expect(await statuses(store)).toEqual([
      [1, 'discarded'],
      [2, 'replayed'],
    ]);
  });

  it('sets and resets checkpoints of the partitions named', async () => {
    const store = await givenAStore();
    const actions = consoleActions({ store, config });
    const zero = { group: 'orders', sourceId: 'local:events', partition: '0' };
    const one = { ...zero, partition: '1' };
    const set = await actions.setCheckpoint(zero, '4');
    expect(set.changes).toEqual([{ partition: '0', after: '4', direction: 'forward', events: 5 }]);
    const reset = await actions.resetCheckpoints([zero, one], 'latest');
    expect(reset.changes).toEqual([
      { partition: '0', before: '4', after: '9', direction: 'forward', events: 5 },
      { partition: '1', after: '9', direction: 'forward', events: 10 },
    ]);
    // Recorded in the history as the command's moves are.
    expect(
      (await store.checkpoints.history()).map((m) => [m.partition, m.before, m.after, m.command]),
    ).toEqual([
      ['1', undefined, '9', 'tui (checkpoint action)'],
      ['0', '4', '9', 'tui (checkpoint action)'],
      ['0', undefined, '4', 'tui (checkpoint action)'],
    ]);
    await expect(
      actions.resetCheckpoints([zero, { ...one, sourceId: 'local:other' }], 'earliest'),
    ).rejects.toThrow('several groups or sources');
    await expect(actions.setCheckpoint({ ...zero, sourceId: 'kinesis:elsewhere' }, '1')).rejects.toThrow(
      'cannot open source kinesis:elsewhere',
    );
  });

  it('drains the agent of this process directly', async () => {
    const store = await givenAStore();
    let drains = 0;
    const agent: LiveAgent = {
      id: 'orders@here#1',
      telemetry: new Telemetry(),
      snapshot: () => Promise.reject(new Error('not used')),
      requestDrain: () => {
        drains++;
      },
    };
    const actions = consoleActions({ store, config, agent });
    expect(await actions.drain(undefined)).toEqual({ kind: 'requested', agent: 'orders@here#1' });
    expect(drains).toBe(1);
    await expect(actions.drain('orders@elsewhere#2')).rejects.toThrow('no agent "orders@elsewhere#2"');
  });
});
