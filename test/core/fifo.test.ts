import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { Fifo } from '../../src/core/fifo.js';

/** A full garbage collection, without running the tests with --expose-gc. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

describe('Fifo', () => {
  it('Given items pushed, When taken in parts, Then they come out oldest first and the size follows', () => {
    const fifo = new Fifo<number>();
    for (let i = 0; i < 5; i++) fifo.push(i);

    const out: number[] = [];
    expect(fifo.takeInto(2, out)).toBe(2);
    expect(fifo.take(10)).toEqual([2, 3, 4]);
    expect(out).toEqual([0, 1]);
    expect(fifo.size).toBe(0);
  });

  it('Given a steady flow that never empties it, Then it does not keep what it handed out', () => {
    const fifo = new Fifo<number>();
    for (let i = 0; i < 100; i++) fifo.push(i);
    let next = 100;
    let expected = 0;
    for (let round = 0; round < 1_000; round++) {
      for (let i = 0; i < 50; i++) fifo.push(next++);
      for (const item of fifo.take(50)) expect(item).toBe(expected++);
    }

    const stored = (fifo as unknown as { items: unknown[] }).items.length;
    expect(fifo.size).toBe(100);
    expect(stored).toBeLessThan(10_000);
  });

  it('Given items taken while others stay buffered, Then the taken ones are not kept alive by the buffer', async () => {
    // Given ten items, five of them taken and dropped by the taker, five still buffered
    const fifo = new Fifo<{ n: number }>();
    const refs: WeakRef<{ n: number }>[] = [];
    for (let n = 0; n < 10; n++) {
      const item = { n };
      refs.push(new WeakRef(item));
      fifo.push(item);
    }
    expect(fifo.take(5)).toHaveLength(5);

    // When the garbage is collected (after this turn, which keeps every WeakRef's target alive)
    await new Promise((resolve) => setImmediate(resolve));
    collectGarbage();

    // Then the taken items are gone and the buffered ones are still there, in order
    expect(refs.slice(0, 5).filter((r) => r.deref() !== undefined)).toEqual([]);
    expect(fifo.take(10).map((item) => item.n)).toEqual([5, 6, 7, 8, 9]);
  });

  it('Given items, When some are removed or all cleared, Then the rest keep their order', () => {
    const fifo = new Fifo<number>();
    for (let i = 0; i < 6; i++) fifo.push(i);
    fifo.take(1);

    expect(fifo.remove((n) => n % 2 === 0)).toEqual([2, 4]);
    expect(fifo.clear()).toEqual([1, 3, 5]);
    expect(fifo.size).toBe(0);
  });
});
