import { describe, expect, it } from 'vitest';
import { MemorySource } from '../../../src/core/sources/memory-source.js';
import { partitionForKey } from '../../../src/core/store/partition-for-key.js';
import { sourceContract } from './source-contract.js';

sourceContract(
  'MemorySource with three partitions',
  async () => {
    const source = new MemorySource({ partitions: 3, idleMs: 5 });
    return {
      source,
      append: async (values) => source.append(values),
      close: async () => {},
    };
  },
  { replayable: true },
);

describe('MemorySource appending', () => {
  it('Given two partitions, When values without a key are appended over several calls, Then they alternate between the partitions', () => {
    const source = new MemorySource({ partitions: 2 });

    source.append(['a', 'b', 'c']);
    source.append(['d', 'e', 'f', 'g']);

    expect([source.size(0), source.size(1)]).toEqual([4, 3]);
  });

  it('Given a key, When values are appended, Then they all go to the partition the local log would pick for it', () => {
    const source = new MemorySource({ partitions: 5 });

    source.append(['a', 'b', 'c'], { key: 'order-17' });

    const expected = partitionForKey('order-17', 5);
    expect(source.size(expected)).toBe(3);
    expect([0, 1, 2, 3, 4].reduce((n, p) => n + source.size(p), 0)).toBe(3);
  });

  it('Given an explicit partition and a key, When appended, Then the explicit partition wins', () => {
    const source = new MemorySource({ partitions: 4 });

    source.append(['a', 'b'], { key: 'order-17', partition: (partitionForKey('order-17', 4) + 1) % 4 });

    expect(source.size((partitionForKey('order-17', 4) + 1) % 4)).toBe(2);
  });
});
