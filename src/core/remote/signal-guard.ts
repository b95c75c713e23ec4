/**
 * Lets many promises wait on one `AbortSignal` with one listener on it: `guard(promise, signal)` settles
 * with the promise, or rejects with the signal's reason when it aborts first (a thousand tasks may await
 * their confirms under the same signal at once). The promise itself is not cancelled.
 */
export class SignalGuard {
  private readonly waiting = new WeakMap<AbortSignal, Set<(reason: unknown) => void>>();

  guard<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
    if (signal.aborted) return Promise.reject(signal.reason);
    const set = this.waitersOf(signal);
    return new Promise<T>((resolve, reject) => {
      set.add(reject);
      promise.then(
        (value) => {
          set.delete(reject);
          resolve(value);
        },
        (error: unknown) => {
          set.delete(reject);
          reject(error);
        },
      );
    });
  }

  private waitersOf(signal: AbortSignal): Set<(reason: unknown) => void> {
    let set = this.waiting.get(signal);
    if (set === undefined) {
      const waiters = new Set<(reason: unknown) => void>();
      set = waiters;
      this.waiting.set(signal, waiters);
      signal.addEventListener(
        'abort',
        () => {
          for (const reject of waiters) reject(signal.reason);
          waiters.clear();
        },
        { once: true },
      );
    }
    return set;
  }
}
