import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type InOrderEntry, InOrderQueue } from '../../../src/core/strategies/in-order-queue.js';
import { MessageRejected } from '../../../src/core/strategies/processing-strategy.js';

interface Item extends InOrderEntry {
  readonly id: number;
  done: boolean;
  error?: unknown;
}

describe('InOrderQueue, unordered (a source that settles each message)', () => {
  it('given the oldest entry still at work, when later ones finish, then they leave at once and the oldest stays', () => {
    const forwarded: number[] = [];
    const queue = new InOrderQueue<Item>((entry) => forwarded.push(entry.id), false);
    const items = [0, 1, 2].map((id) => ({ id, done: false }) as Item);
    for (const entry of items) queue.push(entry);
    items[2]!.done = true;
    items[1]!.done = true;
    queue.forwardReady();
    expect(forwarded).toEqual([1, 2]);
    expect(queue.size).toBe(1);
    expect(queue.oldest?.id).toBe(0);
    expect([...queue.unforwarded()].map((e) => e.id)).toEqual([0]);
    items[0]!.done = true;
    queue.forwardReady();
    expect(forwarded).toEqual([1, 2, 0]);
    expect(queue.size).toBe(0);
  });

  it('given the next step rejects, then the entry is forwarded again next time, once', () => {
    const forwarded: number[] = [];
    let full = true;
    const queue = new InOrderQueue<Item>((entry) => {
      if (full) throw new MessageRejected();
      forwarded.push(entry.id);
    }, false);
    queue.push({ id: 0, done: false });
    queue.push({ id: 1, done: true });
    queue.forwardReady();
    expect(forwarded).toEqual([]);
    full = false;
    queue.forwardReady();
    queue.forwardReady();
    expect(forwarded).toEqual([1]);
    expect(queue.size).toBe(1);
  });

  it('Property: whatever the finishing order and pushes in between, each entry leaves exactly once, as soon as it is done, and size counts the rest', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 3000 })
          .chain((n) =>
            fc.tuple(fc.constant(n), fc.shuffledSubarray([...Array(n).keys()], { minLength: n })),
          ),
        ([n, finishOrder]) => {
          const forwarded: number[] = [];
          const queue = new InOrderQueue<Item>((entry) => forwarded.push(entry.id), false);
          const items = Array.from({ length: n }, (_, id) => ({ id, done: false }) as Item);
          // Push in two halves, finishing some of the first half before the second is pushed.
          const half = Math.floor(n / 2);
          for (let i = 0; i < half; i++) queue.push(items[i]!);
          let pushed = half;
          for (const id of finishOrder) {
            if (id >= pushed) {
              for (; pushed < n; pushed++) queue.push(items[pushed]!);
            }
            items[id]!.done = true;
            queue.forwardReady();
            expect(forwarded[forwarded.length - 1]).toBe(id);
          }
          expect([...forwarded].sort((a, b) => a - b)).toEqual(items.map((e) => e.id));
          expect(queue.size).toBe(0);
        },
      ),
      { numRuns: 60 },
    );
  });
});
