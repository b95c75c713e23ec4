import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { placeKey, type ShardView } from '../../../../src/core/ops/describe-kinesis.js';
import { hashKeyOf, inHashRange } from '../../../../src/core/transports/kinesis/hash-key.js';

const TOP = (2n ** 128n - 1n).toString();
const HALF = (2n ** 127n).toString();

function shard(id: string, start: string, end: string, closed = false): ShardView {
  return {
    shard: id,
    state: closed ? 'closed' : 'open',
    children: [],
    hashKeys: { start, end },
    sequences: closed ? { start: '1', end: '2' } : { start: '3' },
  };
}

describe('the Kinesis hash key of a partition key', () => {
  it('is the MD5 digest of the UTF-8 key read as a big-endian 128-bit integer', () => {
    expect(hashKeyOf('a')).toBe(0x0cc175b9c0f1b6a831c399e269772661n);
    expect(hashKeyOf('')).toBe(0xd41d8cd98f00b204e9800998ecf8427en);
    expect(hashKeyOf('ü')).toBe(
      BigInt(`0x${createHash('md5').update(Buffer.from('ü', 'utf8')).digest('hex')}`),
    );
  });

  it('always lies in the key space 0 … 2^128 − 1', () => {
    fc.assert(
      fc.property(fc.string(), (key) => {
        const h = hashKeyOf(key);
        return h >= 0n && inHashRange(h, '0', TOP);
      }),
    );
  });

  it('places a key in the open shard whose inclusive range holds it, with the closed ones before it', () => {
    // Given a stream split in the middle: shard 0 closed, 1 holds the lower half, 2 the upper.
    const shards = [
      shard('s0', '0', TOP, true),
      shard('s1', '0', (2n ** 127n - 1n).toString()),
      shard('s2', HALF, TOP),
    ];
    fc.assert(
      fc.property(fc.string(), (key) => {
        const placed = placeKey(key, shards);
        expect(placed.shard).toBe(hashKeyOf(key) < 2n ** 127n ? 's1' : 's2');
        expect(placed.before).toEqual(['s0']);
        expect(placed.hashKey).toBe(hashKeyOf(key).toString());
      }),
    );
    // Both ends of a range belong to it.
    expect(inHashRange(2n ** 127n, HALF, TOP)).toBe(true);
    expect(inHashRange(2n ** 127n - 1n, HALF, TOP)).toBe(false);
    expect(inHashRange(2n ** 128n - 1n, HALF, TOP)).toBe(true);
  });
});
