import type { BackoffOptions } from './backoff.js';

/**
 * How a failing operation is retried: at most `maxRetries` retries after the first attempt, spaced by the
 * backoff. Shared by process steps and (as the base of `Contingency`) by publishing.
 */
export interface RetryPolicy extends BackoffOptions {
  readonly maxRetries: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetries: 3,
  kind: 'exponential',
  baseMs: 100,
  maxMs: 5_000,
  jitter: 0.2,
};

/** Fills a partial policy from the defaults. */
export function retryPolicy(
  partial: Partial<RetryPolicy> = {},
  defaults = DEFAULT_RETRY_POLICY,
): RetryPolicy {
  return { ...defaults, ...partial };
}
