import { describe, expect, it } from 'vitest';
import { compareKinesisPositions } from '../../../src/core/sources/kinesis/kinesis-position.js';
import { isPositionOf } from '../../../src/core/sources/source.js';

describe('isPositionOf', () => {
  const numeric = { compare: (a: string, b: string) => Number(a) - Number(b) };
  const kinesis = { compare: compareKinesisPositions };

  it('Given a source of numeric offsets, Then only numbers are its positions', () => {
    expect(isPositionOf(numeric, '1200')).toBe(true);
    expect(isPositionOf(numeric, 'banana')).toBe(false);
    expect(isPositionOf(numeric, '')).toBe(false);
    expect(isPositionOf(numeric, ' 12')).toBe(false);
  });

  it('Given Kinesis, which answers 0 for equal strings unread, Then a word is still not a position', () => {
    expect(isPositionOf(kinesis, '49590338271490256608559692538361571095921575989136588898')).toBe(true);
    expect(isPositionOf(kinesis, '4959:3')).toBe(true);
    expect(isPositionOf(kinesis, 'yesterday')).toBe(false);
  });
});
