import { UsageError } from '../errors/usage-error.js';

/** Throws `UsageError` for the empty owner, which stands for a released lease. */
export function assertLeaseOwner(owner: string): void {
  if (owner === '') throw new UsageError('a lease owner cannot be empty (empty means released)');
}

/** Throws `UsageError` unless `ttlMs` is a finite number of ms above 0. */
export function assertLeaseTtl(ttlMs: number): void {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new UsageError(`a lease needs a positive time to live in ms, not ${ttlMs}`);
  }
}
