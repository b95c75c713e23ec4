import { AgentctlError, type ErrorKind } from './agentctl-error.js';

/** An operation did not finish in the time it was given. */
export class TimeoutError extends AgentctlError {
  readonly code = 'TIMEOUT';
  readonly retriable = true;
  override readonly kind: ErrorKind = 'unreachable';
}

export function isTimeoutError(error: unknown): error is TimeoutError {
  return error instanceof TimeoutError;
}
