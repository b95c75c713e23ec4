import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../../src/core/clock.js';
import { Batch } from '../../../../src/core/strategies/library/batch.js';
import { MessageRejected } from '../../../../src/core/strategies/processing-strategy.js';
import type { Message } from '../../../../src/core/types.js';
import { Collect } from '../../../support/collect.js';
import { message, nth, offsetKey } from '../../../support/messages.js';
import { strategyBehaviour } from '../strategy-behaviour.js';

strategyBehaviour(
  'Batch',
  (next, ctx) => new Batch<number>({ maxSize: 4, maxWaitMs: 100, clock: ctx.clock }, next),
  nth,
);

function setup(maxSize = 3, maxWaitMs = 100) {
  const clock = new FakeClock();
  const next = new Collect<readonly Message<number>[]>();
  const batch = new Batch<number>({ maxSize, maxWaitMs, clock }, next);
  return { clock, next, batch };
}

describe('Batch', () => {
  it('given maxSize 3, when the third message arrives, then one batch of the three is forwarded, standing at its last member', () => {
    const { next, batch } = setup();
    const members = [nth(0), nth(1), nth(2)];
    batch.submit(members[0]!);
    batch.submit(members[1]!);
    expect(next.messages).toEqual([]);
    batch.submit(members[2]!);
    expect(next.messages).toHaveLength(1);
    const forwarded = next.messages[0]!;
    expect(forwarded.payload).toEqual(members);
    expect(forwarded.covers?.map(offsetKey)).toEqual(['p0@0', 'p1@0', 'p2@0']);
    expect(forwarded.partition).toBe(members[2]!.partition);
    expect(forwarded.position).toBe(members[2]!.position);
    expect(forwarded.timestamp).toBe(members[2]!.timestamp);
    expect(forwarded.raw).toEqual(new Uint8Array(0));
  });

  it('given a partial batch, when polled before and after maxWaitMs on the clock, then it is forwarded only once the time has passed', async () => {
    const { clock, next, batch } = setup(10, 100);
    batch.submit(nth(0));
    await clock.advance(60);
    batch.submit(nth(1));
    await clock.advance(39);
    batch.poll();
    expect(next.messages).toEqual([]);
    await clock.advance(1);
    batch.poll();
    expect(next.messages.map((m) => m.payload.map((x) => x.payload))).toEqual([[0, 1]]);
  });

  it('given a partial batch, when joined, then it is forwarded before the next step is joined', async () => {
    const { next, batch } = setup();
    batch.submit(nth(0));
    batch.close();
    await batch.join();
    expect(next.messages.map((m) => m.payload.length)).toEqual([1]);
    expect(next.joined).toBe(true);
  });

  it('given members that are batches themselves, when batched, then covers lists every source offset once', () => {
    const { next, batch } = setup(2);
    const inner = message('inner', { covers: [nth(0), nth(3)], partition: 'p0', position: '1' });
    batch.submit(inner as unknown as Message<number>);
    batch.submit(nth(6));
    expect(next.messages[0]?.covers?.map(offsetKey)).toEqual(['p0@0', 'p0@1', 'p0@2']);
  });

  it('given a next step that rejects a full batch, when submitting more, then MessageRejected until a poll hands the batch over', () => {
    const { next, batch } = setup(1);
    next.rejectNext(1);
    batch.submit(nth(0));
    expect(() => batch.submit(nth(1))).toThrow(MessageRejected);
    batch.poll();
    expect(next.messages).toHaveLength(1);
    batch.submit(nth(1));
    expect(next.messages).toHaveLength(2);
  });
});
