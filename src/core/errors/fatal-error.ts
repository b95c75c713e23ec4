import { AgentctlError } from './agentctl-error.js';

/**
 * Thrown by a process step that can never succeed for this event (bad data, a business rule said no).
 * The step is not retried; the run fails and the event is parked.
 */
export class FatalError extends AgentctlError {
  readonly code = 'FATAL';
  readonly retriable = false;
}

export function isFatalError(error: unknown): error is FatalError {
  return error instanceof FatalError;
}
