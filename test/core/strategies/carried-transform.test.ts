import { describe, expect, it } from 'vitest';
import { CarriedTransform } from '../../../src/core/strategies/carried-transform.js';
import { MessageRejected } from '../../../src/core/strategies/processing-strategy.js';
import { withPayload } from '../../../src/core/types.js';
import { Collect } from '../../support/collect.js';
import { nth } from '../../support/messages.js';

describe('CarriedTransform', () => {
  it('given a result the next step rejected, when the same message comes again, then that result is forwarded and then forgotten', () => {
    const next = new Collect<string>().rejectNext(1);
    const carried = new CarriedTransform<number, string>();
    const message = nth(0);
    const result = withPayload(message, 'zero');
    expect(() => carried.forward(message, result, next)).toThrow(MessageRejected);
    expect(carried.resultFor(message)).toBe(result);
    carried.forward(message, carried.resultFor(message)!, next);
    expect(next.messages).toEqual([result]);
    expect(carried.resultFor(message)).toBeUndefined();
  });

  it('given a kept result, when another message asks, then nothing is found', () => {
    const carried = new CarriedTransform<number, string>();
    const message = nth(0);
    expect(() =>
      carried.forward(message, withPayload(message, 'zero'), new Collect<string>().rejectNext(1)),
    ).toThrow();
    expect(carried.resultFor(nth(0))).toBeUndefined();
    carried.clear();
    expect(carried.resultFor(message)).toBeUndefined();
  });
});
