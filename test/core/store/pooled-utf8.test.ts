import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isPooledUtf8,
  pooledJsonArray,
  pooledJsonArrays,
  releasePooledUtf8,
} from '../../../src/core/store/pooled-utf8.js';

const decoder = new TextDecoder();

describe('pooledJsonArray: the UTF-8 JSON of an array, written item by item', () => {
  it('property: its bytes decode to what JSON.stringify writes, whatever the items and sizes', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { maxLength: 60 }), (items) => {
        const bytes = pooledJsonArray(items);
        expect(decoder.decode(bytes)).toBe(JSON.stringify(items));
        releasePooledUtf8([bytes]);
      }),
    );
  });

  it('Given items larger than the first buffer, and texts outside ASCII, When written, Then the buffer grows and the JSON is whole', () => {
    // Given a few entries whose text outgrows the first guess (256 bytes an item), with 2- to 4-byte characters
    const items = [['é✓😀'.repeat(40_000), 1], null, { a: 'x'.repeat(100_000) }, 'end'];

    // When written into a pooled buffer
    const bytes = pooledJsonArray(items);

    // Then it is the JSON of the items, in a buffer of the pool larger than the first guess
    expect(decoder.decode(bytes)).toBe(JSON.stringify(items));
    expect(isPooledUtf8(bytes)).toBe(true);
    expect(bytes.buffer.byteLength).toBeGreaterThan(64 * 1024);
    releasePooledUtf8([bytes]);
  });
});

describe('pooledJsonArrays: several JSON arrays in one buffer, a separator byte between two', () => {
  it('property: split on the separator, its bytes decode to the JSON of each list, whatever the lists', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.jsonValue(), { maxLength: 20 }), { maxLength: 5 }), (lists) => {
        const bytes = pooledJsonArrays(lists, 0x1e);
        const text = decoder.decode(bytes);
        expect(lists.length === 0 ? text : text.split('\x1e')).toEqual(
          lists.length === 0 ? '' : lists.map((list) => JSON.stringify(list)),
        );
        releasePooledUtf8([bytes]);
      }),
    );
  });
});
