import type { Clock } from '../clock.js';

export interface PacedOptions {
  /** Never re-run sooner than this after the last run (ms). */
  readonly minMs: number;
  /**
   * The largest share of wall time the query may take: a query that took 40 ms with `share` 0.02 is
   * re-run at most every 2 s. This is what keeps a console light on a store that grows without bound.
   */
  readonly share: number;
  readonly clock: Clock;
}

/**
 * A cached query result that is refreshed no more often than its cost allows. A different `key` (the
 * query changed: another filter, another page) runs at once; the same key returns the cached value until
 * it is due again.
 */
export class Paced<T> {
  private cached: { readonly key: string; readonly value: T } | undefined;
  private ranAt = Number.NEGATIVE_INFINITY;
  private costMs = 0;

  constructor(private readonly options: PacedOptions) {}

  /** The cached value, or a fresh one when the key changed or it is due (`minMs` overrides the option). */
  async get(key: string, load: () => Promise<T>, minMs = this.options.minMs): Promise<T> {
    const { clock, share } = this.options;
    const now = clock.now();
    const every = Math.max(minMs, this.costMs / share);
    if (this.cached !== undefined && this.cached.key === key && now - this.ranAt < every) {
      return this.cached.value;
    }
    const value = await load();
    const after = clock.now();
    this.costMs = after - now;
    this.ranAt = after;
    this.cached = { key, value };
    return value;
  }

  /** The next `get` runs the query whatever its key (after an action changed what it reads). */
  invalidate(): void {
    this.cached = undefined;
  }
}

/** The share of wall time console loads may take: a load that took 300 ms is repeated every 3 s. */
export const LOAD_SHARE = 0.1;

/**
 * How long from one console load's start to the next's: the interval asked for, stretched (to whole
 * seconds, so that it does not change at every load) while a load takes more than `share` of it.
 */
export function refreshInterval(askedMs: number, loadMs: number, share = LOAD_SHARE): number {
  const needed = loadMs / share;
  return needed <= askedMs ? askedMs : Math.max(askedMs, Math.ceil(needed / 1_000) * 1_000);
}
