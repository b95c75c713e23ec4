import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { PublisherStatusBoard } from '../../../src/core/publish/status-board.js';

function board(disableAfter = 3, coolDownMs = 1_000) {
  const clock = new FakeClock(0);
  return { clock, board: new PublisherStatusBoard({ clock, disableAfter, coolDownMs }) };
}

function failTimes(b: PublisherStatusBoard, name: string, n: number): void {
  for (let i = 0; i < n; i++) b.recordFailure(name, new Error(`boom ${i + 1}`));
}

describe('PublisherStatusBoard', () => {
  it('given a sink never seen, when asked, then it is enabled since it was first seen', async () => {
    const { clock, board: b } = board();
    b.register('a');
    await clock.advance(250);
    expect(b.isEnabled('a')).toBe(true);
    expect(b.duration('a')).toBe(250);
    expect(b.statuses()).toEqual([{ name: 'a', enabled: true, since: 0, consecutiveFailures: 0 }]);
  });

  it('given fewer failures in a row than disableAfter, when a success follows, then the count resets', () => {
    const { board: b } = board(3);
    failTimes(b, 'a', 2);
    expect(b.status('a')).toMatchObject({ enabled: true, consecutiveFailures: 2, lastError: 'boom 2' });
    b.recordSuccess('a');
    failTimes(b, 'a', 2);
    expect(b.isEnabled('a')).toBe(true);
    expect(b.status('a').consecutiveFailures).toBe(2);
  });

  it('given disableAfter failures in a row, then the sink is disabled until the cool-down has passed', async () => {
    const { clock, board: b } = board(3, 1_000);
    await clock.advance(100);
    failTimes(b, 'a', 3);
    expect(b.status('a')).toEqual({
      name: 'a',
      enabled: false,
      since: 100,
      consecutiveFailures: 3,
      retryAt: 1_100,
      lastError: 'boom 3',
    });
    await clock.advance(999);
    expect(b.isEnabled('a')).toBe(false);
    expect(b.duration('a')).toBe(999);
  });

  it('given the cool-down passed, when several efforts ask, then only the first gets the trial', async () => {
    const { clock, board: b } = board(1, 1_000);
    failTimes(b, 'a', 1);
    await clock.advance(1_000);
    expect(b.admit('a')).toBe('trial');
    expect(b.admit('a')).toBe('disabled');
    expect(b.isEnabled('a')).toBe(false);
  });

  it('given a trial, when it succeeds, then the sink is enabled again from that moment', async () => {
    const { clock, board: b } = board(1, 1_000);
    failTimes(b, 'a', 1);
    await clock.advance(1_500);
    expect(b.isEnabled('a')).toBe(true);
    await clock.advance(20);
    b.recordSuccess('a');
    expect(b.status('a')).toEqual({
      name: 'a',
      enabled: true,
      since: 1_520,
      consecutiveFailures: 0,
      lastError: 'boom 1',
    });
    expect(b.admit('a')).toBe('enabled');
  });

  it('given a trial, when it fails, then the sink is disabled for another cool-down and keeps its since', async () => {
    const { clock, board: b } = board(2, 1_000);
    failTimes(b, 'a', 2);
    await clock.advance(1_000);
    expect(b.admit('a')).toBe('trial');
    await clock.advance(300);
    b.recordFailure('a', new Error('still down'));
    expect(b.status('a')).toMatchObject({
      enabled: false,
      since: 0,
      retryAt: 2_300,
      lastError: 'still down',
    });
    await clock.advance(999);
    expect(b.admit('a')).toBe('disabled');
    await clock.advance(1);
    expect(b.admit('a')).toBe('trial');
  });

  it('given a trial that never reports, when another cool-down passed, then a new trial is granted', async () => {
    const { clock, board: b } = board(1, 1_000);
    failTimes(b, 'a', 1);
    await clock.advance(1_000);
    expect(b.admit('a')).toBe('trial');
    await clock.advance(999);
    expect(b.admit('a')).toBe('disabled');
    await clock.advance(1);
    expect(b.admit('a')).toBe('trial');
  });

  it('given a disabled sink, when late failures arrive without a trial, then the retry time does not move', async () => {
    const { clock, board: b } = board(1, 1_000);
    failTimes(b, 'a', 1);
    await clock.advance(500);
    b.recordFailure('a', new Error('late'));
    expect(b.status('a')).toMatchObject({ consecutiveFailures: 2, retryAt: 1_000, lastError: 'late' });
  });

  it('given two sinks, then each has its own state, listed in first-seen order', () => {
    const { board: b } = board(1);
    b.register('a');
    failTimes(b, 'b', 1);
    expect(b.statuses().map((s) => [s.name, s.enabled])).toEqual([
      ['a', true],
      ['b', false],
    ]);
  });

  it('given no options, then it disables after 5 failures for 30 seconds', async () => {
    const clock = new FakeClock(0);
    const b = new PublisherStatusBoard({ clock });
    failTimes(b, 'a', 4);
    expect(b.isEnabled('a')).toBe(true);
    failTimes(b, 'a', 1);
    expect(b.status('a')).toMatchObject({ enabled: false, retryAt: 30_000 });
  });
});
