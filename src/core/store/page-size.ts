import { UsageError } from '../errors/usage-error.js';

/** Rows fetched per page by the stores' `iterate` when the caller does not say. */
export const DEFAULT_PAGE_SIZE = 500;

/** Throws `UsageError` unless `pageSize` is a whole number ≥ 1. */
export function assertPageSize(pageSize: number): void {
  if (!Number.isInteger(pageSize) || pageSize < 1) {
    throw new UsageError(`a page size must be a whole number ≥ 1, not ${pageSize}`);
  }
}
