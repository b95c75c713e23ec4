import { assertPageSize } from './page-size.js';
import type { FailedFilter } from './records.js';

/**
 * `FailedStore.iterate` over an adapter's `list`: pages through with `afterId` keyset paging, so items
 * parked or changed while iterating neither shift pages nor appear twice. `limit` in the filter caps the
 * total. Throws `UsageError` for a page size that is not a whole number ≥ 1 (on the first step).
 */
export async function* failedPages<T extends { readonly id: number }>(
  list: (filter: FailedFilter) => Promise<T[]>,
  filter: FailedFilter,
  pageSize: number,
): AsyncIterable<T> {
  for await (const page of failedPageLists(list, filter, pageSize)) yield* page;
}

/**
 * As `failedPages`, a page at a time: each step yields the (non-empty) list of up to `pageSize` items
 * one query returned, so that a caller working on whole pages takes no async step per item.
 */
export async function* failedPageLists<T extends { readonly id: number }>(
  list: (filter: FailedFilter) => Promise<T[]>,
  filter: FailedFilter,
  pageSize: number,
): AsyncIterable<T[]> {
  assertPageSize(pageSize);
  let afterId = filter.afterId;
  let remaining = filter.limit ?? Number.POSITIVE_INFINITY;
  while (remaining > 0) {
    const size = Math.min(pageSize, remaining);
    const page = await list({ ...filter, afterId, limit: size });
    const last = page.at(-1);
    if (last === undefined) return;
    yield page;
    if (page.length < size) return;
    remaining -= page.length;
    afterId = last.id;
  }
}
