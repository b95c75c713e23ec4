import { describe, expect, it, vi } from 'vitest';
import { SignalGuard } from '../../../src/core/remote/signal-guard.js';

describe('SignalGuard', () => {
  it('Given a promise, When it settles before the signal aborts, Then the guard settles with it', async () => {
    const guard = new SignalGuard();
    const signal = new AbortController().signal;
    await expect(guard.guard(Promise.resolve(7), signal)).resolves.toBe(7);
    await expect(guard.guard(Promise.reject(new Error('nack')), signal)).rejects.toThrow('nack');
  });

  it('Given many waits on one signal, When it aborts, Then each rejects with its reason through one listener', async () => {
    const guard = new SignalGuard();
    const controller = new AbortController();
    const add = vi.spyOn(controller.signal, 'addEventListener');
    const never = new Promise<never>(() => undefined);
    const waits = Array.from({ length: 100 }, () => guard.guard(never, controller.signal));

    controller.abort(new Error('stopped'));

    for (const wait of waits) await expect(wait).rejects.toThrow('stopped');
    expect(add).toHaveBeenCalledTimes(1);
  });

  it('Given a signal aborted already, When a promise is guarded, Then it rejects at once', async () => {
    const controller = new AbortController();
    controller.abort(new Error('gone'));
    await expect(new SignalGuard().guard(Promise.resolve(1), controller.signal)).rejects.toThrow('gone');
  });
});
