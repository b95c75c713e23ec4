import { describe, expect, it } from 'vitest';
import { ProgressSignal } from '../../../src/core/strategies/progress-signal.js';

describe('ProgressSignal', () => {
  it('given waits before a notify, when notified, then they all resolve and a later wait gets a new promise', async () => {
    const signal = new ProgressSignal();
    const first = signal.wait();
    expect(signal.wait()).toBe(first);
    signal.notify();
    await first;
    expect(signal.wait()).not.toBe(first);
  });

  it('given a downstream promise that rejects, when waiting with it, then the wait rejects with its error', async () => {
    const signal = new ProgressSignal();
    const error = new Error('next step broke');
    const waited = signal.wait(Promise.reject(error));
    signal.notify();
    await expect(waited).rejects.toBe(error);
  });

  it('given nobody waits, when notified, then nothing happens', () => {
    expect(() => new ProgressSignal().notify()).not.toThrow();
  });
});
