import { describe, expect, it } from 'vitest';
import { MapStrategy } from '../../../../src/core/strategies/library/map.js';
import { InvalidMessage, MessageRejected } from '../../../../src/core/strategies/processing-strategy.js';
import { Collect } from '../../../support/collect.js';
import { message, nth } from '../../../support/messages.js';
import { strategyBehaviour } from '../strategy-behaviour.js';

strategyBehaviour(
  'MapStrategy',
  (next) => new MapStrategy<number, string>((m) => `#${m.payload}`, next),
  nth,
  {
    failing: (next, ctx) =>
      new MapStrategy<number, number>((m) => {
        if (ctx.fails(m)) throw ctx.failure;
        return m.payload;
      }, next),
  },
);

describe('MapStrategy', () => {
  it('given a function, when a message is submitted, then the next step gets the new payload with the same coordinates, raw bytes, attributes and covers', () => {
    const next = new Collect<string>();
    const map = new MapStrategy<number, string>((m) => `value ${m.payload}`, next);
    const input = message(7, {
      partition: 'shard-1',
      position: '42',
      timestamp: 123,
      attributes: { key: 'k' },
      covers: [{ partition: 'shard-1', position: '41' }],
    });
    map.submit(input);
    expect(next.messages).toEqual([{ ...input, payload: 'value 7' }]);
    expect(next.messages[0]?.raw).toBe(input.raw);
  });

  it('given a function that throws InvalidMessage, when submitted, then the very same error propagates and nothing is forwarded', () => {
    const next = new Collect<number>();
    const input = nth(0);
    const invalid = new InvalidMessage(input, 'decode');
    const map = new MapStrategy<number, number>(() => {
      throw invalid;
    }, next);
    expect(() => map.submit(input)).toThrow(invalid);
    expect(next.messages).toEqual([]);
  });

  it('given a next step that rejects, when submitted, then MessageRejected reaches the caller', () => {
    const next = new Collect<number>().rejectNext(1);
    const map = new MapStrategy<number, number>((m) => m.payload + 1, next);
    expect(() => map.submit(nth(0))).toThrow(MessageRejected);
    map.submit(nth(0));
    expect(next.payloads).toEqual([1]);
  });
});
