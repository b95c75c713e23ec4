import { describe, expect, it } from 'vitest';
import { Filter } from '../../../../src/core/strategies/library/filter.js';
import { MessageRejected } from '../../../../src/core/strategies/processing-strategy.js';
import { Collect, CommitLog } from '../../../support/collect.js';
import { nth } from '../../../support/messages.js';
import { strategyBehaviour } from '../strategy-behaviour.js';

strategyBehaviour(
  'Filter',
  (next, ctx) => new Filter<number>((m) => m.payload % 3 !== 0, ctx.commit, next),
  nth,
  {
    failing: (next, ctx) =>
      new Filter<number>(
        (m) => {
          if (ctx.fails(m)) throw ctx.failure;
          return m.payload % 2 === 0;
        },
        ctx.commit,
        next,
      ),
  },
);

describe('Filter', () => {
  it('given a predicate, when messages are submitted, then kept ones are forwarded and dropped ones committed as filtered', () => {
    const next = new Collect<number>();
    const log = new CommitLog();
    const filter = new Filter<number>((m) => m.payload % 2 === 0, log.commit, next);
    for (let i = 0; i < 6; i++) filter.submit(nth(i));
    expect(next.payloads).toEqual([0, 2, 4]);
    expect(log.entries.map((e) => [e.message.payload, e.outcome])).toEqual([
      [1, 'filtered'],
      [3, 'filtered'],
      [5, 'filtered'],
    ]);
  });

  it('given a next step that rejects, when a kept message is submitted, then MessageRejected reaches the caller and nothing is committed', () => {
    const next = new Collect<number>().rejectNext(1);
    const log = new CommitLog();
    const filter = new Filter<number>(() => true, log.commit, next);
    expect(() => filter.submit(nth(0))).toThrow(MessageRejected);
    expect(log.entries).toEqual([]);
    filter.submit(nth(0));
    expect(next.payloads).toEqual([0]);
  });
});
