export type BackoffKind = 'constant' | 'linear' | 'exponential';

export interface BackoffOptions {
  readonly kind: BackoffKind;
  /** Delay before the first retry, in ms. */
  readonly baseMs: number;
  /** No delay is ever longer than this, jitter included. */
  readonly maxMs: number;
  /**
   * Fraction in [0, 1] of each delay that is randomised downwards: a delay `d` becomes a value in
   * `(d × (1 − jitter), d]`. 0 is deterministic; 1 is "full jitter".
   */
  readonly jitter: number;
}

/**
 * An immutable backoff: `delayMs` is the wait before retry number `retry`; `next()` is the backoff for the
 * retry after it. Delays are always within `[0, maxMs]`.
 */
export interface Backoff {
  readonly retry: number;
  readonly delayMs: number;
  next(): Backoff;
}

/** The undelayed, un-jittered delay before retry `n` (n ≥ 1), capped at `maxMs`. */
export function nominalDelay(options: BackoffOptions, n: number): number {
  const base = Math.max(0, options.baseMs);
  const max = Math.max(0, options.maxMs);
  let delay: number;
  switch (options.kind) {
    case 'constant':
      delay = base;
      break;
    case 'linear':
      delay = base * n;
      break;
    case 'exponential':
      // 2^(n-1) overflows to Infinity for large n, which the cap handles (and 0 × Infinity is NaN).
      delay = base === 0 ? 0 : base * 2 ** (n - 1);
      break;
  }
  return Math.min(delay, max);
}

class BackoffValue implements Backoff {
  readonly delayMs: number;

  constructor(
    private readonly options: BackoffOptions,
    readonly retry: number,
    private readonly random: () => number,
  ) {
    const nominal = nominalDelay(options, retry);
    const jitter = Math.min(1, Math.max(0, options.jitter));
    // Rounded down, so a fractional maxMs is never exceeded.
    this.delayMs = Math.floor(nominal * (1 - jitter * random()));
  }

  next(): Backoff {
    return new BackoffValue(this.options, this.retry + 1, this.random);
  }
}

/** The backoff for the first retry. */
export function backoff(options: BackoffOptions, random: () => number = Math.random): Backoff {
  return new BackoffValue(options, 1, random);
}
