import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type InOrderEntry, InOrderQueue } from '../../../src/core/strategies/in-order-queue.js';
import { InvalidMessage, MessageRejected } from '../../../src/core/strategies/processing-strategy.js';
import { nth } from '../../support/messages.js';

interface Item extends InOrderEntry {
  readonly id: number;
  done: boolean;
  error?: unknown;
}

function item(id: number, done = false): Item {
  return { id, done };
}

describe('InOrderQueue', () => {
  it('given entries that finish in any order, when forwarded as they finish, then each leaves once and in push order', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 40 })
          .chain((n) => fc.shuffledSubarray([...Array(n).keys()], { minLength: n })),
        (finishOrder) => {
          const forwarded: number[] = [];
          const queue = new InOrderQueue<Item>((entry) => forwarded.push(entry.id));
          const items = finishOrder.map((_, id) => item(id));
          for (const entry of items) queue.push(entry);
          for (const id of finishOrder) {
            items[id]!.done = true;
            queue.forwardReady();
          }
          expect(forwarded).toEqual(items.map((entry) => entry.id));
          expect(queue.size).toBe(0);
        },
      ),
    );
  });

  it('given entries that left, when more are pushed, then positions go on and `at` still finds the entries not forwarded', () => {
    const queue = new InOrderQueue<Item>(() => undefined);
    queue.push(item(0, true));
    queue.push(item(1, true));
    queue.forwardReady();
    expect(queue.end).toBe(2);
    queue.push(item(2));
    queue.push(item(3));
    expect(queue.at(2)?.id).toBe(2);
    expect(queue.at(3)?.id).toBe(3);
    expect(queue.oldest?.id).toBe(2);
    queue.clear();
    expect(queue.size).toBe(0);
    expect(queue.end).toBe(4);
  });

  it('given a steady flow that never empties the queue, when entries leave, then storage stays bounded and positions stay valid', () => {
    const forwarded: number[] = [];
    const queue = new InOrderQueue<Item>((entry) => forwarded.push(entry.id));
    const items: Item[] = [];
    // Always one unfinished entry behind the head, so the queue never empties on its own.
    for (let id = 0; id < 10_000; id++) {
      const entry = item(id);
      items.push(entry);
      queue.push(entry);
      if (id > 0) items[id - 1]!.done = true;
      queue.forwardReady();
      expect(queue.size).toBe(1);
      expect(queue.at(id)).toBe(entry);
    }
    expect(forwarded).toEqual(items.slice(0, -1).map((entry) => entry.id));
    expect(queue.end).toBe(10_000);
    // The backing array was compacted: at most ~2x the threshold, not 10,000 slots.
    expect((queue as unknown as { entries: Item[] }).entries.length).toBeLessThanOrEqual(2048);
  });

  it('given a next step that rejects, when forwarding, then the entry stays at the head and goes out on the next call', () => {
    let reject = true;
    const forwarded: number[] = [];
    const queue = new InOrderQueue<Item>((entry) => {
      if (reject) throw new MessageRejected();
      forwarded.push(entry.id);
    });
    queue.push(item(0, true));
    queue.forwardReady();
    expect(queue.oldest?.id).toBe(0);
    reject = false;
    queue.forwardReady();
    expect(forwarded).toEqual([0]);
  });

  it('given a next step that parks a message, when forwarding, then InvalidMessage reaches the caller and the next call goes on with the rest', () => {
    const forwarded: number[] = [];
    const queue = new InOrderQueue<Item>((entry) => {
      if (entry.id === 0) throw new InvalidMessage(nth(0), 'process');
      forwarded.push(entry.id);
    });
    queue.push(item(0, true));
    queue.push(item(1, true));
    expect(() => queue.forwardReady()).toThrow(InvalidMessage);
    queue.forwardReady();
    expect(forwarded).toEqual([1]);
  });

  it('given a failed entry at the head, when forwarding, then its error is thrown on every call and nothing behind it leaves', () => {
    const forwarded: number[] = [];
    const queue = new InOrderQueue<Item>((entry) => forwarded.push(entry.id));
    const failure = new Error('work failed');
    queue.push({ id: 0, done: true, error: failure });
    queue.push(item(1, true));
    expect(() => queue.forwardReady()).toThrow(failure);
    expect(() => queue.forwardReady()).toThrow(failure);
    expect(forwarded).toEqual([]);
  });
});
