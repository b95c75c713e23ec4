import { AgentctlError } from './agentctl-error.js';

/** A named thing (failed message, agent, partition, topic) does not exist. */
export class NotFoundError extends AgentctlError {
  readonly code = 'NOT_FOUND';
  readonly retriable = false;
  override readonly userFacing = true;
}

export function isNotFoundError(error: unknown): error is NotFoundError {
  return error instanceof NotFoundError;
}
