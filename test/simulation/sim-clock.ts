import { type Clock, SLEEP_CANCELLED } from '../../src/core/clock.js';

interface Sleeper {
  readonly at: number;
  readonly seq: number;
  readonly resolve: () => void;
}

/**
 * The simulation's time. Like `FakeClock`, time only moves when the driver says so, but the driver moves
 * it one sleeper at a time (`wakeNext`) and only once everything else has settled, so that a seed always
 * gives the same interleaving. Sleepers due at the same ms wake in the order they went to sleep.
 */
export class SimClock implements Clock {
  private current: number;
  private seq = 0;
  private readonly sleepers: Sleeper[] = [];

  constructor(start: number) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  /** When the next sleeper is due, if any sleeps. */
  get nextAt(): number | undefined {
    return this.sleepers[0]?.at;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason ?? new Error('aborted'));
        return;
      }
      const onAbort = () => {
        const i = this.sleepers.indexOf(sleeper);
        if (i >= 0) this.sleepers.splice(i, 1);
        reject(signal!.reason ?? new Error('aborted'));
      };
      const sleeper: Sleeper = {
        at: this.current + Math.max(0, Number.isFinite(ms) ? ms : 0),
        seq: this.seq++,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.insert(sleeper);
    });
  }

  /** Wakes the earliest sleeper, moving time to its due time. False when nobody sleeps. */
  wakeNext(): boolean {
    const sleeper = this.sleepers.shift();
    if (sleeper === undefined) return false;
    if (sleeper.at > this.current) this.current = sleeper.at;
    sleeper.resolve();
    return true;
  }

  /** Moves time forward without waking anyone (the driver's own scheduled actions). */
  moveTo(ms: number): void {
    if (ms > this.current) this.current = ms;
  }

  private insert(sleeper: Sleeper): void {
    const list = this.sleepers;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = list[mid]!;
      if (m.at < sleeper.at || (m.at === sleeper.at && m.seq < sleeper.seq)) lo = mid + 1;
      else hi = mid;
    }
    list.splice(lo, 0, sleeper);
  }
}

const realSetImmediate = globalThis.setImmediate;
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;
const realRandom = Math.random;

/** One turn of the real event loop: every queued microtask (and earlier immediates) ran before it resolves. */
export function realTurn(): Promise<void> {
  return new Promise((resolve) => realSetImmediate(resolve));
}

/** A real pause, for work on other threads. */
export function realPause(ms: number): Promise<void> {
  return new Promise((resolve) => realSetTimeout(resolve, ms));
}

interface SimTimer {
  readonly sim: AbortController;
  ref(): SimTimer;
  unref(): SimTimer;
  hasRef(): boolean;
  refresh(): SimTimer;
  [Symbol.toPrimitive](): number;
}

/**
 * While a scenario runs: `Math.random` draws from the seed, and `setTimeout` called from the engine
 * (`src/core`: a few strategies wait on a bare timer between rounds of `join`) runs on the simulation
 * clock. Timers of anything else (the test runner) stay real. Returns the function that undoes both.
 */
export function installSimulationGlobals(clock: SimClock, random: () => number): () => void {
  let ids = 1;
  const simSetTimeout = (fn: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const stack = new Error().stack ?? '';
    if (!stack.includes('/src/core/')) return realSetTimeout(fn, ms, ...args);
    const id = ids++;
    const sim = new AbortController();
    clock.sleep(ms ?? 0, sim.signal).then(
      () => fn(...args),
      () => undefined,
    );
    const timer: SimTimer = {
      sim,
      ref: () => timer,
      unref: () => timer,
      hasRef: () => false,
      refresh: () => timer,
      [Symbol.toPrimitive]: () => id,
    };
    return timer;
  };
  const simClearTimeout = (timer: unknown) => {
    if (timer !== null && typeof timer === 'object' && 'sim' in timer) {
      (timer as SimTimer).sim.abort(SLEEP_CANCELLED);
      return;
    }
    realClearTimeout(timer as Parameters<typeof clearTimeout>[0]);
  };
  globalThis.setTimeout = simSetTimeout as unknown as typeof setTimeout;
  globalThis.clearTimeout = simClearTimeout as typeof clearTimeout;
  Math.random = random;
  return () => {
    globalThis.setTimeout = realSetTimeout;
    globalThis.clearTimeout = realClearTimeout;
    Math.random = realRandom;
  };
}
