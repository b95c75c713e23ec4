import { AgentctlError, type ErrorKind } from './agentctl-error.js';

/** The state store (a PostgreSQL server) cannot be reached: exit 1, not a usage error. */
export class StoreUnavailableError extends AgentctlError {
  readonly code = 'STORE_UNAVAILABLE';
  readonly retriable = true;
  override readonly kind: ErrorKind = 'unreachable';
  override readonly userFacing = true;
}

export function isStoreUnavailableError(error: unknown): error is StoreUnavailableError {
  return error instanceof StoreUnavailableError;
}
