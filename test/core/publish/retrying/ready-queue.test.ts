import { describe, expect, it } from 'vitest';
import { ReadyQueue } from '../../../../src/core/publish/retrying/ready-queue.js';

interface Item {
  readonly name: string;
  readonly record: { readonly value: Uint8Array };
  settled: boolean;
}

const item = (name: string, bytes = 1): Item => ({
  name,
  record: { value: new Uint8Array(bytes) },
  settled: false,
});
const names = (items: readonly Item[]) => items.map((i) => i.name);
const all = () => true;

describe('ReadyQueue', () => {
  it('Given more entries than a batch holds, When batches are taken, Then they come in order, at most maxBatch each', () => {
    const queue = new ReadyQueue<Item>();
    for (const n of ['a', 'b', 'c', 'd', 'e']) queue.push(item(n));
    expect(names(queue.take(2, Number.POSITIVE_INFINITY, all))).toEqual(['a', 'b']);
    expect(names(queue.take(2, Number.POSITIVE_INFINITY, all))).toEqual(['c', 'd']);
    expect(names(queue.take(2, Number.POSITIVE_INFINITY, all))).toEqual(['e']);
    expect(queue.take(2, Number.POSITIVE_INFINITY, all)).toEqual([]);
  });

  it('Given a byte limit, When a batch is taken, Then it stops before the limit, and an entry larger than it goes alone', () => {
    const queue = new ReadyQueue<Item>();
    for (const [n, bytes] of [
      ['a', 4],
      ['b', 4],
      ['c', 4],
      ['d', 20],
      ['e', 1],
    ] as const)
      queue.push(item(n, bytes));
    expect(names(queue.take(10, 10, all))).toEqual(['a', 'b']);
    expect(names(queue.take(10, 10, all))).toEqual(['c']);
    expect(names(queue.take(10, 10, all))).toEqual(['d']);
    expect(names(queue.take(10, 10, all))).toEqual(['e']);
  });

  it('Given settled entries and refused ones, When a batch is taken, Then both are dropped and admit is not asked of settled ones', () => {
    const queue = new ReadyQueue<Item>();
    const [a, b, c, d] = [item('a'), item('b'), item('c'), item('d')];
    for (const i of [a, b, c, d]) queue.push(i);
    b.settled = true;
    const asked: string[] = [];
    const batch = queue.take(10, Number.POSITIVE_INFINITY, (i) => {
      asked.push(i.name);
      return i !== c;
    });
    expect(names(batch)).toEqual(['a', 'd']);
    expect(asked).toEqual(['a', 'c', 'd']);
  });

  it('Given many entries taken, When more are pushed, Then order holds across the compaction', () => {
    const queue = new ReadyQueue<Item>();
    const taken: string[] = [];
    for (let round = 0; round < 6; round++) {
      for (let k = 0; k < 500; k++) queue.push(item(`${round}-${k}`));
      taken.push(...names(queue.take(400, Number.POSITIVE_INFINITY, all)));
    }
    for (;;) {
      const batch = queue.take(400, Number.POSITIVE_INFINITY, all);
      if (batch.length === 0) break;
      taken.push(...names(batch));
    }
    expect(taken).toHaveLength(3000);
    expect(taken).toEqual(Array.from({ length: 3000 }, (_, i) => `${Math.floor(i / 500)}-${i % 500}`));
  });
});
