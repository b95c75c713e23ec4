import { AgentctlError } from './agentctl-error.js';

/**
 * Thrown by a step or a sink for a failure that may pass (timeout, 503, throttling). Any error that is not
 * a `FatalError` is treated as transient; this class only makes the intent explicit.
 */
export class TransientError extends AgentctlError {
  readonly code = 'TRANSIENT';
  readonly retriable = true;
}

export function isTransientError(error: unknown): error is TransientError {
  return error instanceof TransientError;
}
