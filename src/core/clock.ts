/**
 * Injected time. Core logic takes a `Clock` instead of calling `Date.now()` or `setTimeout`, so that tests
 * can drive time with `FakeClock` and stay fast and deterministic.
 */
export interface Clock {
  /** Wall-clock milliseconds since the epoch. */
  now(): number;
  /**
   * Resolves after `ms` milliseconds. Rejects with the signal's reason if `signal` aborts first.
   * Never keeps the process alive on its own account once the signal aborts.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new Error('aborted');
}

/**
 * The reason to abort a sleep's signal with once the sleep is no longer wanted (the work it raced with
 * finished first). A shared constant: `abort()` without a reason builds a DOMException and its stack
 * trace each time, which shows up on hot paths that race work against a timer per batch.
 */
export const SLEEP_CANCELLED: Error = new Error('sleep cancelled');

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep(ms, signal) {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortReason(signal));
        return;
      }
      const onAbort = () => {
        clearTimeout(timer);
        reject(abortReason(signal!));
      };
      const timer = setTimeout(
        () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        Math.max(0, ms),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  },
};

interface Sleeper {
  readonly at: number;
  readonly resolve: () => void;
}

/**
 * A clock that only moves when told to. `advance(ms)` wakes every sleeper whose time has come, in order,
 * letting their continuations run between wake-ups.
 */
export class FakeClock implements Clock {
  private current: number;
  private readonly sleepers: Sleeper[] = [];

  constructor(start = 1_700_000_000_000) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  /** How many sleeps are waiting for time to pass. */
  get pending(): number {
    return this.sleepers.length;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortReason(signal));
        return;
      }
      const sleeper: Sleeper = {
        at: this.current + Math.max(0, ms),
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        const i = this.sleepers.indexOf(sleeper);
        if (i >= 0) this.sleepers.splice(i, 1);
        reject(abortReason(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.sleepers.push(sleeper);
      this.sleepers.sort((a, b) => a.at - b.at);
    });
  }

  /** Moves time forward, waking due sleepers one by one and letting their continuations run. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      const next = this.sleepers[0];
      if (next === undefined || next.at > target) break;
      this.sleepers.shift();
      this.current = next.at;
      next.resolve();
      await flushMicrotasks();
    }
    this.current = target;
    await flushMicrotasks();
  }

  /** Sets the wall clock without waking anyone (simulates clock skew). */
  set(ms: number): void {
    this.current = ms;
  }
}

/** Lets pending promise continuations run. */
export async function flushMicrotasks(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

/** Lets I/O and timers run once (one turn of the event loop): queued socket writes go out, timers fire. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A sleep that can be cut short: a loop `wait`s between rounds of work, and whoever brings new work
 * calls `wake` so the loop goes on at once. One waiter at a time.
 */
export class Alarm {
  private wakeUp: (() => void) | undefined;

  /** Resolves when `wake` is called, after `ms`, or when `signal` aborts. Never rejects. */
  async wait(ms: number, clock: Clock, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return;
    const stop = new AbortController();
    const onAbort = () => stop.abort(SLEEP_CANCELLED);
    signal?.addEventListener('abort', onAbort, { once: true });
    const woken = new Promise<void>((resolve) => {
      this.wakeUp = resolve;
    });
    try {
      await Promise.race([woken, clock.sleep(ms, stop.signal).catch(() => undefined)]);
    } finally {
      this.wakeUp = undefined;
      stop.abort(SLEEP_CANCELLED);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Ends a `wait` now; does nothing while no one waits. */
  wake(): void {
    const wakeUp = this.wakeUp;
    this.wakeUp = undefined;
    wakeUp?.();
  }
}
