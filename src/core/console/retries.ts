import type { Clock } from '../clock.js';
import type { RunRecord } from '../model/run-record.js';
import type { EngineEvents } from '../telemetry/telemetry.js';

/** A failed step or publish attempt that is (or was) followed by a retry. */
export interface RetryRow {
  readonly kind: 'step' | 'publish';
  /** The run id (steps) or effort id (publish). */
  readonly id: string;
  /** The step, or the sink. */
  readonly name: string;
  /** The step's process, when known. */
  readonly process?: string;
  /** Waiting for its next attempt, succeeded after failing, or failed for good. */
  readonly state: 'waiting' | 'recovered' | 'exhausted';
  readonly attempts: number;
  readonly nextAttemptAt?: number;
  readonly error?: string;
  readonly at: number;
}

const LIVE_ATTEMPTS = 50;

/** Steps of recent runs that were retried or wait for a retry, as the store has them. */
export function stepRetries(runs: readonly RunRecord[]): RetryRow[] {
  return runs.flatMap((run) =>
    run.steps
      .filter((step) => step.attempts > 1 || step.nextAttemptAt !== undefined)
      .map(
        (step): RetryRow => ({
          kind: 'step',
          id: run.id,
          name: step.name,
          process: run.process,
          state: step.state === 'succeeded' ? 'recovered' : step.state === 'failed' ? 'exhausted' : 'waiting',
          attempts: step.attempts,
          ...(step.nextAttemptAt === undefined ? {} : { nextAttemptAt: step.nextAttemptAt }),
          ...(step.error === undefined ? {} : { error: step.error }),
          at: step.finishedAt ?? step.startedAt ?? run.updatedAt,
        }),
      ),
  );
}

/**
 * The live agent's latest failed attempts (steps and publishes), from its telemetry: they show before
 * the store has them (runs and efforts are written at commits).
 */
export class LiveAttempts {
  private readonly rows: RetryRow[] = [];

  constructor(private readonly clock: Clock) {}

  /** Called for every attempt of the live agent: returns at once unless it failed or recovered. */
  record(event: EngineEvents['attempt']): void {
    if (event.ok && event.attempt === 1) return;
    const same = this.rows.findIndex((r) => r.id === event.id && r.name === event.name);
    if (event.ok && same < 0) return;
    const row: RetryRow = {
      kind: event.kind,
      id: event.id,
      name: event.name,
      state: event.ok ? 'recovered' : event.nextAttemptAt === undefined ? 'exhausted' : 'waiting',
      attempts: event.attempt,
      ...(event.nextAttemptAt === undefined ? {} : { nextAttemptAt: event.nextAttemptAt }),
      ...(event.error === undefined ? {} : { error: event.error }),
      at: this.clock.now(),
    };
    if (same >= 0) this.rows.splice(same, 1);
    this.rows.unshift(row);
    this.rows.length = Math.min(this.rows.length, LIVE_ATTEMPTS);
  }

  /** The live attempts first, then the stored rows they do not already stand for. */
  merged(stored: readonly RetryRow[]): RetryRow[] {
    const seen = new Set(this.rows.map((r) => `${r.id}\u0000${r.name}`));
    return [...this.rows, ...stored.filter((r) => !seen.has(`${r.id}\u0000${r.name}`))];
  }
}
