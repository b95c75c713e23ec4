import { AgentctlError, type ErrorKind } from './agentctl-error.js';

/**
 * Too many messages failed in a row (or too large a share of recent ones): something is wrong upstream
 * or in the agent itself, and parking everything would only move the problem. The consumer stops.
 */
export class PoisonStormError extends AgentctlError {
  readonly code = 'POISON_STORM';
  readonly retriable = false;
  override readonly kind: ErrorKind = 'halted';
  override readonly userFacing = true;
}

export function isPoisonStormError(error: unknown): error is PoisonStormError {
  return error instanceof PoisonStormError;
}
