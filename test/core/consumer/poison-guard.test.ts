import { describe, expect, it } from 'vitest';
import { PoisonGuard } from '../../../src/core/consumer/poison-guard.js';
import { PoisonStormError } from '../../../src/core/errors/poison-storm-error.js';

describe('PoisonGuard', () => {
  it('trips after maxConsecutive parked messages in a row, not before', () => {
    const guard = new PoisonGuard({ maxConsecutive: 3, maxRatio: 1, window: 10 });
    guard.record(true);
    guard.record(true);
    expect(() => guard.check()).not.toThrow();
    guard.record(true);
    expect(() => guard.check()).toThrow(PoisonStormError);
  });

  it('a processed message resets the run of failures', () => {
    const guard = new PoisonGuard({ maxConsecutive: 3, maxRatio: 1, window: 10 });
    for (let i = 0; i < 10; i++) {
      guard.record(true);
      guard.record(true);
      guard.record(false);
    }
    expect(() => guard.check()).not.toThrow();
  });

  it('trips on the failure ratio over a full window', () => {
    const guard = new PoisonGuard({ maxConsecutive: 1000, maxRatio: 0.5, window: 10 });
    for (let i = 0; i < 9; i++) guard.record(i % 3 !== 0);
    expect(() => guard.check()).not.toThrow();
    guard.record(true);
    expect(() => guard.check()).toThrow(/of the last 10 messages failed/);
  });
});
