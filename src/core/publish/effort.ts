/** How an effort ended: delivered, or parked in the failed store after retries ran out. */
export type Culmination = 'pending' | 'delivered' | 'parked';

/** One try at delivering a record to a sink. */
export interface PublishAttempt {
  readonly attempt: number;
  readonly at: number;
  readonly durationMs: number;
  readonly ok: boolean;
  readonly error?: string;
}

/**
 * Everything that happened while publishing one record: every attempt in order, how many were retries,
 * and the outcome. Mutable while the effort is under way.
 */
export interface Effort {
  readonly id: string;
  readonly sink: string;
  /** The published record's id (idempotency key downstream). */
  readonly recordId: string;
  readonly runId?: string;
  readonly createdAt: number;
  attempts: number;
  retries: number;
  initialAttempt?: PublishAttempt;
  finalAttempt?: PublishAttempt;
  history: PublishAttempt[];
  culmination: Culmination;
  /** When the next attempt is due, while waiting for it. */
  nextAttemptAt?: number;
  lastError?: string;
  updatedAt: number;
}
