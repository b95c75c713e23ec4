import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { writeFlatJson } from '../../../src/core/store/flat-json.js';

const decoder = new TextDecoder();

/** What `writeFlatJson` writes of `item` with `room` bytes, or undefined when it leaves it to JSON.stringify. */
function written(item: unknown, room = 4096): string | undefined {
  const bytes = new Uint8Array(room);
  const end = writeFlatJson(bytes, 0, item, room);
  return end < 0 ? undefined : decoder.decode(bytes.subarray(0, end));
}

/** Values of a flat array, with what the fast path takes and what it must hand back. */
const flatValue = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.constantFrom('', '"', '\\', '\n', '\u007f', 'é', 'evt-1', 'local:bench'),
  fc.integer(),
  fc.maxSafeInteger(),
  // 13-digit timestamps in milliseconds (written as two halves split at 1e8)
  fc.integer({ min: 1e12, max: 1e13 - 1 }),
  fc.constantFrom(0, -0, 1e15, -1e15, 1e15 + 1, 2 ** 53 - 1, 1_795_000_000_000, 9, 10, 99, 100),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.jsonValue(),
);

describe('writeFlatJson: the JSON of a flat array, written without a text', () => {
  it('property: what it writes is what JSON.stringify writes; what it does not write it hands back', () => {
    fc.assert(
      fc.property(fc.array(flatValue, { maxLength: 20 }), (item) => {
        const text = written(item);
        if (text !== undefined) expect(text).toBe(JSON.stringify(item));
      }),
      { numRuns: 2000 },
    );
  });

  it('property: a flat array of printable ASCII texts, safe integers to 1e15, booleans and nulls is written on the fast path', () => {
    const ascii = fc.string({
      unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
    });
    const fast = fc.oneof(
      ascii.filter((s) => !s.includes('"') && !s.includes('\\')),
      fc.integer({ min: -1e15, max: 1e15 }),
      fc.integer({ min: 1e12, max: 1e13 - 1 }),
      fc.integer({ min: -(2 ** 32), max: 2 ** 32 }),
      fc.boolean(),
      fc.constant(null),
    );
    fc.assert(
      fc.property(fc.array(fast, { maxLength: 20 }), (item) => {
        expect(written(item)).toBe(JSON.stringify(item));
      }),
      { numRuns: 2000 },
    );
  });

  it('Given a ledger entry, When written, Then it is its JSON, written on the fast path', () => {
    // Given an entry as the journal keeps a plain success
    const entry = [
      'aB3_x9Qm2LkP0vWz7YtR5sNd1Hc',
      'evt-7',
      'submission.created',
      'classify-new',
      1_795_000_000_000,
      1_795_000_000_001,
      1_795_000_000_002,
      'inline',
      null,
      'local:bench',
      '2',
      '41',
      -3,
      true,
      false,
      'score',
      0,
      -0,
    ];

    // When written / Then the fast path took it, and wrote what JSON.stringify writes
    expect(written(entry)).toBe(JSON.stringify(entry));
  });

  it('Given integers around the split at 1e8 (the high and low halves), When written, Then each is its JSON on the fast path', () => {
    const integers = [
      0,
      -1,
      7,
      -7,
      99_999_999,
      100_000_000,
      100_000_001,
      100_000_010,
      1_000_000_007,
      1_796_520_123_452,
      1_795_000_000_000,
      999_999_999_999_999,
      1e15,
      -100_000_000,
      -1_796_520_123_452,
      -1e15,
      2 ** 31,
      2 ** 31 - 1,
      2 ** 31 + 1,
      -(2 ** 31),
      -(2 ** 31 - 1),
      -(2 ** 31 + 1),
      2 ** 32 + 5,
      1_000_000_000_000,
      9_999_999_999_999,
    ];
    for (const n of integers) expect(written([n])).toBe(JSON.stringify([n]));
    // 2^53 - 1 is past the largest integer taken: left to JSON.stringify
    expect(written([2 ** 53 - 1])).toBeUndefined();
    // Given no room for the low half's digits, Then nothing is taken
    const bytes = new Uint8Array(40);
    expect(writeFlatJson(bytes, 0, [1_796_520_123_452], 10)).toBe(-1);
    expect([...bytes.subarray(10)].every((b) => b === 0)).toBe(true);
  });

  it('Given an item the fast path does not take, or no room, When written, Then it answers -1 and writes nothing at or past the limit', () => {
    for (const item of [{ a: 1 }, 'text', [1.5], [[1]], ['é'], ['a"b'], [2 ** 53 - 1], [undefined]])
      expect(written(item)).toBeUndefined();
    // Given 40 bytes of which the item may use 10
    const bytes = new Uint8Array(40);
    // When an entry longer than that is written
    expect(writeFlatJson(bytes, 2, ['abcdefghij', 12345], 12)).toBe(-1);
    // Then nothing was written from the limit on
    expect([...bytes.subarray(12)].every((b) => b === 0)).toBe(true);
    expect(writeFlatJson(bytes, 0, [1_795_000_000_000], 15)).toBe(15);
    expect(writeFlatJson(bytes, 0, [1_795_000_000_000], 14)).toBe(-1);
  });
});
