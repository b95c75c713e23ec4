import type { Effort } from '../../model/effort.js';
import type { Backoff } from '../../retry/backoff.js';
import type { PublishRecord } from '../publisher.js';

/**
 * One `publish` call of the retrying publisher: its record, the latest version of its effort, the promise
 * returned to the caller with its settle functions, and where it stands. `newEntry` makes the promise with
 * one executor shared by every call (no closure per record); every field is set at creation, so all
 * entries share one shape.
 */
export interface Entry {
  readonly record: PublishRecord;
  /** The latest version of the effort (a recorded version never changes; a change makes a new one). */
  effort: Effort;
  /** What `publish` returned: settled once, through `resolve` or `reject`. */
  readonly promise: Promise<Effort>;
  readonly resolve: (effort: Effort) => void;
  readonly reject: (reason: unknown) => void;
  readonly signal: AbortSignal | undefined;
  /** While waiting for a retry: when it is due (the key of its wave). */
  dueAt: number | undefined;
  backoff: Backoff | undefined;
  /** This effort holds the status board's half-open trial. */
  trial: boolean;
  inFlight: boolean;
  /** Culminated, or abandoned by its caller: its promise is settled. */
  settled: boolean;
}

/** A new entry for `record` and its just-opened `effort`, with a pending promise. */
export function newEntry(record: PublishRecord, effort: Effort, signal: AbortSignal | undefined): Entry {
  const promise = new Promise<Effort>(capture);
  return {
    record,
    effort,
    promise,
    resolve: captured.resolve,
    reject: captured.reject,
    signal,
    dueAt: undefined,
    backoff: undefined,
    trial: false,
    inFlight: false,
    settled: false,
  };
}

/** The settle functions of the promise `newEntry` is making, read right after `new Promise(capture)`. */
const captured: { resolve: (effort: Effort) => void; reject: (reason: unknown) => void } = {
  resolve: () => undefined,
  reject: () => undefined,
};

function capture(resolve: (effort: Effort) => void, reject: (reason: unknown) => void): void {
  captured.resolve = resolve;
  captured.reject = reject;
}
