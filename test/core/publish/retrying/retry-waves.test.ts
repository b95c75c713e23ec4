import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../../src/core/clock.js';
import { RetryWaves, type Waiting } from '../../../../src/core/publish/retrying/retry-waves.js';

interface Item extends Waiting {
  readonly name: string;
}

function setup() {
  const clock = new FakeClock(0);
  const due: string[] = [];
  const tracked: Promise<unknown>[] = [];
  const waves = new RetryWaves<Item>(
    clock,
    (item) => due.push(`${item.name}@${clock.now()}${item.dueAt === undefined ? '' : ' still waiting'}`),
    (sleep) => tracked.push(sleep),
  );
  return { clock, due, tracked, waves };
}

describe('RetryWaves', () => {
  it('Given entries due at one instant, When it comes, Then they wake together on one sleep', async () => {
    const { clock, due, tracked, waves } = setup();
    const [a, b, c]: [Item, Item, Item] = [{ name: 'a' }, { name: 'b' }, { name: 'c' }];
    waves.wait(a, 100);
    waves.wait(b, 100);
    waves.wait(c, 250);
    expect(a.dueAt).toBe(100);
    expect(clock.pending).toBe(2);
    expect(tracked).toHaveLength(2);
    await clock.advance(100);
    expect(due).toEqual(['a@100', 'b@100']);
    await clock.advance(150);
    expect(due).toEqual(['a@100', 'b@100', 'c@250']);
  });

  it('Given a cancelled entry, When its time comes, Then it is not woken, and the last one out stops the sleep', async () => {
    const { clock, due, tracked, waves } = setup();
    const [a, b]: [Item, Item] = [{ name: 'a' }, { name: 'b' }];
    waves.wait(a, 100);
    waves.wait(b, 100);
    waves.cancel(a);
    expect(a.dueAt).toBeUndefined();
    expect(clock.pending).toBe(1);
    waves.cancel(b);
    expect(clock.pending).toBe(0);
    await Promise.all(tracked);
    await clock.advance(200);
    expect(due).toEqual([]);
    waves.cancel(b);
  });
});
