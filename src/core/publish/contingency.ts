import type { Effort } from '../model/effort.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../retry/retry-policy.js';

/**
 * How a publisher retries a record: a retry policy (`maxRetries`, backoff kind, `baseMs`, `maxMs`,
 * `jitter`) and an optional `reaction` run once the effort has culminated (delivered or parked), e.g. to
 * alert. A reaction that throws is reported, never retried.
 */
export interface Contingency extends RetryPolicy {
  readonly reaction?: (effort: Effort) => void | Promise<void>;
}

export const DEFAULT_CONTINGENCY: Contingency = { ...DEFAULT_RETRY_POLICY, maxRetries: 5, maxMs: 10_000 };

export function contingency(partial: Partial<Contingency> = {}): Contingency {
  return { ...DEFAULT_CONTINGENCY, ...partial };
}
