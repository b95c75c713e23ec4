import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../../src/core/clock.js';
import { Reduce } from '../../../../src/core/strategies/library/reduce.js';
import type { Message } from '../../../../src/core/types.js';
import { Collect } from '../../../support/collect.js';
import { nth, offsetKey } from '../../../support/messages.js';
import { strategyBehaviour } from '../strategy-behaviour.js';

const sum = (maxSize: number, clock: FakeClock, fails: (m: Message<unknown>) => boolean = () => false) => ({
  initial: () => 0,
  accumulate: (total: number, m: Message<number>) => {
    if (fails(m)) throw new Error('behaviour suite failure');
    return total + m.payload;
  },
  maxSize,
  maxWaitMs: 100,
  clock,
});

strategyBehaviour('Reduce', (next, ctx) => new Reduce(sum(5, ctx.clock), next), nth, {
  failing: (next, ctx) => new Reduce(sum(5, ctx.clock, ctx.fails), next),
});

describe('Reduce', () => {
  it('given maxSize 3, when three messages arrive, then one sum covering all three is forwarded at the last one', () => {
    const next = new Collect<number>();
    const reduce = new Reduce(sum(3, new FakeClock()), next);
    for (let i = 1; i <= 3; i++) reduce.submit(nth(i, 1));
    expect(next.payloads).toEqual([6]);
    expect(next.messages[0]?.covers?.map(offsetKey)).toEqual(['p0@1', 'p0@2', 'p0@3']);
    expect(next.messages[0]?.position).toBe('3');
  });

  it('given a mutable accumulator, when two reductions run, then each starts from a fresh initial value', () => {
    const next = new Collect<number[]>();
    const reduce = new Reduce<number, number[]>(
      {
        initial: () => [],
        accumulate: (list, m) => {
          list.push(m.payload);
          return list;
        },
        maxSize: 2,
        maxWaitMs: 100,
      },
      next,
    );
    for (let i = 0; i < 4; i++) reduce.submit(nth(i));
    expect(next.payloads).toEqual([
      [0, 1],
      [2, 3],
    ]);
  });

  it('given a partial reduction, when maxWaitMs passes on the clock, then poll forwards it', async () => {
    const clock = new FakeClock();
    const next = new Collect<number>();
    const reduce = new Reduce(sum(10, clock), next);
    reduce.submit(nth(4));
    reduce.poll();
    expect(next.payloads).toEqual([]);
    await clock.advance(100);
    reduce.poll();
    expect(next.payloads).toEqual([4]);
  });

  it('given accumulate throws for one message, when submitted, then the error propagates and that message is left out', () => {
    const next = new Collect<number>();
    const reduce = new Reduce(
      sum(2, new FakeClock(), (m) => m.payload === 1),
      next,
    );
    reduce.submit(nth(0));
    expect(() => reduce.submit(nth(1))).toThrow('behaviour suite failure');
    reduce.submit(nth(2));
    expect(next.payloads).toEqual([2]);
    expect(next.messages[0]?.covers?.map(offsetKey)).toEqual(['p0@0', 'p2@0']);
  });
});
