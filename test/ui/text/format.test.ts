import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { count, plural } from '../../../src/ui/text/format.js';

describe('count', () => {
  it('Given any number, When it is counted, Then it reads as toLocaleString("en-US") writes it', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: -2_000_000_000, max: 2_000_000_000 }), fc.maxSafeInteger(), fc.double()),
        (n) => {
          expect(count(n)).toBe(n.toLocaleString('en-US'));
        },
      ),
    );
    for (const n of [
      0,
      -0,
      7,
      999,
      1000,
      -1000,
      123456789,
      Number.MAX_SAFE_INTEGER,
      2 ** 60,
      1.5,
      Number.NaN,
    ])
      expect(count(n)).toBe(n.toLocaleString('en-US'));
  });

  it('Given an integer, When it is counted, Then ICU number formatting is not asked (its set-up costs more than a status)', () => {
    const original = Number.prototype.toLocaleString;
    let asked = 0;
    Number.prototype.toLocaleString = function (this: number, ...args: Parameters<typeof original>) {
      asked += 1;
      return original.apply(this, args);
    };
    try {
      expect(count(1234567)).toBe('1,234,567');
      expect(plural(1000, 'item')).toBe('1,000 items');
    } finally {
      Number.prototype.toLocaleString = original;
    }
    expect(asked).toBe(0);
    expect(count(undefined)).toBe('-');
  });
});
