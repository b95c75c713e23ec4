import { describe, expect, it } from 'vitest';
import { FakeClock, systemClock } from '../../src/core/clock.js';

describe('FakeClock', () => {
  it('wakes sleepers in time order only when advanced past them', async () => {
    const clock = new FakeClock(0);
    const woke: number[] = [];
    void clock.sleep(30).then(() => woke.push(30));
    void clock.sleep(10).then(() => woke.push(10));
    await clock.advance(5);
    expect(woke).toEqual([]);
    await clock.advance(30);
    expect(woke).toEqual([10, 30]);
    expect(clock.now()).toBe(35);
  });

  it('rejects a sleep when its signal aborts', async () => {
    const clock = new FakeClock(0);
    const controller = new AbortController();
    const sleeping = clock.sleep(1000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(sleeping).rejects.toThrow('stop');
    expect(clock.pending).toBe(0);
  });
});

describe('systemClock', () => {
  it('sleeps for about the time asked and can be aborted', async () => {
    const start = Date.now();
    await systemClock.sleep(20);
    expect(Date.now() - start).toBeGreaterThanOrEqual(15);
    const controller = new AbortController();
    const p = systemClock.sleep(10_000, controller.signal);
    controller.abort();
    await expect(p).rejects.toBeDefined();
  });
});
