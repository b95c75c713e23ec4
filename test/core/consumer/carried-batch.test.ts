import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { BrokerAssignor } from '../../../src/core/consumer/broker-assignor.js';
import { CarriedBatch } from '../../../src/core/consumer/carried-batch.js';
import { DEFAULT_COMMIT_POLICY } from '../../../src/core/consumer/commit-policy.js';
import { Committer } from '../../../src/core/consumer/committer.js';
import { PoisonGuard } from '../../../src/core/consumer/poison-guard.js';
import { Stats } from '../../../src/core/model/stats.js';
import { MemorySource } from '../../../src/core/sources/memory-source.js';
import { Journal } from '../../../src/core/store/journal.js';
import { openSqliteStore } from '../../../src/core/store/sqlite/sqlite-state-store.js';
import {
  MessageRejected,
  type ProcessingStrategy,
} from '../../../src/core/strategies/processing-strategy.js';
import { Telemetry } from '../../../src/core/telemetry/telemetry.js';
import type { Bytes, Message, Partition } from '../../../src/core/types.js';
import { tempDir } from '../../support/temp.js';

/** A pipeline that takes `room` messages, then rejects until given more room. */
class Bounded implements ProcessingStrategy<Bytes> {
  readonly taken: string[] = [];
  constructor(public room: number) {}
  submit(message: Message<Bytes>): void {
    if (this.room <= 0) throw new MessageRejected();
    this.room--;
    this.taken.push(`${message.partition}@${message.position}`);
  }
  poll(): undefined {
    return undefined;
  }
  close(): void {}
  async join(): Promise<void> {}
  terminate(): void {}
}

const message = (partition: Partition, position: number): Message<Bytes> => ({
  partition,
  position: String(position),
  payload: new Uint8Array(),
  raw: new Uint8Array(),
  timestamp: 0,
  attributes: {},
});

async function setup(assigned: readonly Partition[]) {
  const store = await openSqliteStore({ path: join(tempDir('carried-'), 'agent.db') });
  onTestFinished(() => store.close());
  const clock = new FakeClock();
  const telemetry = new Telemetry();
  const source = new MemorySource({ partitions: 2, clock });
  await source.assign(new Map(assigned.map((p) => [p, { kind: 'earliest' as const }])));
  const committer = new Committer({
    source,
    store,
    journal: new Journal(),
    assignor: new BrokerAssignor(source, 'agent-a'),
    group: 'g',
    owner: 'agent-a',
    clock,
    stats: new Stats(),
    telemetry,
    policy: DEFAULT_COMMIT_POLICY,
  });
  for (const partition of assigned) committer.open(partition, undefined);
  const backpressure: string[] = [];
  telemetry.on('backpressure', (e) => backpressure.push(`${e.partition}:${e.paused ? 'paused' : 'resumed'}`));
  const carried = new CarriedBatch({
    source,
    clock,
    telemetry,
    committer,
    poison: new PoisonGuard(),
    pauseAfterMs: 1_000,
  });
  const state = async (partition: Partition) =>
    (await source.describe()).find((s) => s.partition === partition)?.state;
  return { clock, carried, backpressure, state };
}

describe('CarriedBatch', () => {
  it('Given a pipeline that rejects, When the batch is submitted again, Then it goes on from the rejected message, in order, once each', async () => {
    const { carried } = await setup(['0']);
    const pipeline = new Bounded(2);
    carried.hold([0, 1, 2, 3].map((i) => message('0', i)));
    carried.submit(pipeline);
    expect(carried.holding).toBe(true);
    expect(carried.firstHeld()).toEqual(new Map([['0', '2']]));
    pipeline.room = 10;
    carried.submit(pipeline);
    expect(carried.holding).toBe(false);
    expect(pipeline.taken).toEqual(['0@0', '0@1', '0@2', '0@3']);
  });

  it('Given rejections that last pauseAfterMs, Then the partition is paused at the source, and resumed once the batch went through', async () => {
    const { clock, carried, backpressure, state } = await setup(['0']);
    const pipeline = new Bounded(0);
    carried.hold([message('0', 0)]);
    carried.submit(pipeline);
    await clock.advance(999);
    carried.submit(pipeline);
    expect(carried.isPaused('0')).toBe(false);
    await clock.advance(1);
    carried.submit(pipeline);
    expect(carried.isPaused('0')).toBe(true);
    expect(await state('0')).toBe('paused');
    pipeline.room = 1;
    carried.submit(pipeline);
    expect(carried.isPaused('0')).toBe(false);
    expect(await state('0')).toBe('reading');
    expect(backpressure).toEqual(['0:paused', '0:resumed']);
  });

  it('Given messages of a partition not assigned, Then they are skipped', async () => {
    const { carried } = await setup(['0']);
    const pipeline = new Bounded(10);
    carried.hold([message('0', 0), message('1', 0), message('0', 1)]);
    carried.submit(pipeline);
    expect(pipeline.taken).toEqual(['0@0', '0@1']);
  });

  it('Given a batch partly submitted, When revoked partitions are gone, Then only the unsubmitted messages of the others are held', async () => {
    const { carried } = await setup(['0', '1']);
    const pipeline = new Bounded(1);
    carried.hold([message('0', 0), message('1', 0), message('0', 1), message('1', 1)]);
    carried.submit(pipeline);
    carried.keepUnsubmitted(new Set(['1']));
    expect(carried.firstHeld()).toEqual(new Map([['0', '1']]));
    carried.drop(new Set(['0']));
    expect(carried.holding).toBe(false);
  });
});
