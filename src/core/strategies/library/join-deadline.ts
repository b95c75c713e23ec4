import { type Clock, nextTurn, SLEEP_CANCELLED } from '../../clock.js';
import type { ProcessingStrategy } from '../processing-strategy.js';

/** Longest single timer Node honours; longer ones fire at once. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * What a strategy's `drain` reports while `join` finishes its work: `true` when nothing is left,
 * `false` when the next step rejected what is ready, or a promise that settles when in-flight work
 * progresses.
 */
export type DrainState = boolean | Promise<void>;

/**
 * The time budget of one `join(timeoutMs)` call, shared by a strategy and the steps after it: the strategy
 * spends what it needs to finish its own work, and the next step is joined with what is left. Internal to
 * the strategies; not part of the public API.
 */
export class JoinDeadline {
  private readonly at: number | undefined;

  constructor(
    private readonly clock: Clock,
    timeoutMs: number | undefined,
  ) {
    this.at =
      timeoutMs === undefined || !Number.isFinite(timeoutMs)
        ? undefined
        : clock.now() + Math.max(0, timeoutMs);
  }

  /** Milliseconds left, or `undefined` when there is no limit. */
  remaining(): number | undefined {
    return this.at === undefined ? undefined : Math.max(0, this.at - this.clock.now());
  }

  /**
   * Waits for `work` until the deadline. Resolves `true` when it settled in time, `false` when time ran
   * out first; rejects when `work` rejects in time.
   */
  async wait(work: Promise<unknown>): Promise<boolean> {
    if (this.at === undefined) {
      await work;
      return true;
    }
    let settled = false;
    const done = work.then(() => {
      settled = true;
    });
    done.catch(() => undefined);
    while (!settled) {
      const left = this.at - this.clock.now();
      if (left <= 0) return false;
      const timer = new AbortController();
      const alarm = this.clock.sleep(Math.min(left, MAX_TIMER_MS), timer.signal).catch(() => undefined);
      try {
        await Promise.race([done, alarm]);
      } finally {
        timer.abort(SLEEP_CANCELLED);
      }
    }
    return true;
  }

  /**
   * Calls `drain` until it reports nothing left, polling `next` in between and waiting for whichever of
   * the strategy's own work or the next step's work progresses first. Resolves `false` when the deadline
   * passed first (the caller abandons what is left); errors thrown by `drain` or `next.poll()` propagate.
   */
  async settle(next: ProcessingStrategy<never>, drain: () => DrainState): Promise<boolean> {
    for (;;) {
      const own = drain();
      if (own === true) return true;
      const downstream = next.poll();
      let pending: Promise<unknown>;
      if (own === false) pending = downstream ?? nextTurn();
      else pending = downstream === undefined ? own : Promise.race([own, downstream]);
      if (!(await this.wait(pending))) return false;
    }
  }

  /** Closes the next step and joins it with the time that is left. */
  joinNext(next: ProcessingStrategy<never>): Promise<void> {
    next.close();
    return next.join(this.remaining());
  }
}

/** True for a promise or any other thenable, without allocating for plain values. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
