import { isUtf8 } from 'node:buffer';
import { redactedFailed } from '../ops/failed-items.js';
import type { FailedFilter, FailedMessage } from '../store/records.js';
import type { FailedStore } from '../store/state-store.js';
import type { Paced } from './pacing.js';

/** A parked message as the console lists it: everything but the payload bytes, plus a text preview. */
export interface FailedRow extends Omit<FailedMessage, 'raw' | 'history' | 'headers'> {
  /** The payload as text (cut), or `<N bytes>` when it is not UTF-8. */
  readonly preview: string;
  /** How many failures the item's history holds (the first, then each failed replay). */
  readonly failures: number;
}

/** One screenful of the failed store, newest first. */
export interface FailedPage {
  /** Items matching the filter (pending unless the filter says otherwise). */
  readonly total: number;
  /** Index (newest first, from 0) of the first row. */
  readonly top: number;
  readonly rows: readonly FailedRow[];
  /** With a search, only the first `SEARCH_CAP` matches are listed. */
  readonly capped: boolean;
}

/** Matches of a search listed at most (narrow a search rather than page through it). */
export const SEARCH_CAP = 1_000;
const PREVIEW_CHARS = 400;

/**
 * Pages through the failed store newest first without reading it whole: the store lists by ascending id
 * with keyset paging, so the window's start is found by a galloping search on `count({ afterId })`, which
 * an index answers, started from the previous answer (a few probes per tick while items arrive). With a
 * search (answered from the store's search index), up to `SEARCH_CAP` matches are read, at a pace set by
 * their cost.
 */
export class FailedWindow {
  private last: { readonly key: string; readonly afterId: number } | undefined;

  constructor(
    private readonly failed: FailedStore,
    private readonly searches: Paced<{ total: number; items: FailedMessage[] }>,
  ) {}

  async load(filter: FailedFilter, top: number, limit: number): Promise<FailedPage> {
    if (filter.search !== undefined && filter.search !== '') return this.searched(filter, top, limit);
    const total = await this.failed.count(filter);
    const first = clamp(top, 0, Math.max(0, total - 1));
    const end = total - first;
    const start = Math.max(0, end - limit);
    if (end <= 0) return { total, top: first, rows: [], capped: false };
    const afterId = start === 0 ? undefined : await this.afterIdFor(filter, total - start);
    const items = await this.failed.list({
      ...filter,
      ...(afterId === undefined ? {} : { afterId }),
      limit: end - start,
    });
    return { total, top: first, rows: items.reverse().map(failedRow), capped: false };
  }

  /** Forget the cached position (after items changed status). */
  reset(): void {
    this.last = undefined;
    this.searches.invalidate();
  }

  private async searched(filter: FailedFilter, top: number, limit: number): Promise<FailedPage> {
    const { total, items } = await this.searches.get(JSON.stringify(filter), async () => ({
      total: await this.failed.count(filter),
      items: await this.failed.list({ ...filter, limit: SEARCH_CAP }),
    }));
    const newest = [...items].reverse();
    const first = clamp(top, 0, Math.max(0, newest.length - 1));
    return {
      total,
      top: first,
      rows: newest.slice(first, first + limit).map(failedRow),
      capped: total > items.length,
    };
  }

  /** The smallest id X with at most `target` matching items above it. */
  private async afterIdFor(filter: FailedFilter, target: number): Promise<number> {
    const key = JSON.stringify(filter);
    const above = (x: number) => this.failed.count({ ...filter, afterId: x });
    const fits = async (x: number) => (await above(x)) <= target;
    const guess = this.last?.key === key ? this.last.afterId : 0;
    let lo: number; // fits(lo) is false
    let hi: number; // fits(hi) is true
    let step = 1;
    if (guess > 0 && (await fits(guess))) {
      hi = guess;
      lo = Math.max(0, hi - step);
      while (lo > 0 && (await fits(lo))) {
        hi = lo;
        step *= 2;
        lo = Math.max(0, hi - step);
      }
    } else {
      lo = guess;
      hi = lo + step;
      while (!(await fits(hi))) {
        lo = hi;
        step *= 2;
        hi = lo + step;
      }
    }
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (await fits(mid)) hi = mid;
      else lo = mid;
    }
    this.last = { key, afterId: hi };
    return hi;
  }
}

/** A row of the console's list: secrets in its error, source and sink redacted (as `failed list` does). */
export function failedRow(item: FailedMessage): FailedRow {
  const { raw, history, headers: _headers, ...rest } = redactedFailed(item);
  return { ...rest, preview: previewOf(raw), failures: history.length };
}

function previewOf(raw: Uint8Array): string {
  if (!isUtf8(raw)) return `<${raw.byteLength} bytes>`;
  const text = Buffer.from(raw.buffer, raw.byteOffset, Math.min(raw.byteLength, PREVIEW_CHARS * 4)).toString(
    'utf8',
  );
  return text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS)}…` : text;
}

function clamp(n: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, n));
}
