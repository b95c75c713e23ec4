import { AgentctlError, type ErrorKind } from './agentctl-error.js';

/** The source (broker, stream, file) cannot be reached or does not exist. */
export class SourceUnavailableError extends AgentctlError {
  readonly code = 'SOURCE_UNAVAILABLE';
  readonly retriable = true;
  override readonly kind: ErrorKind = 'unreachable';
  override readonly userFacing = true;
}

export function isSourceUnavailableError(error: unknown): error is SourceUnavailableError {
  return error instanceof SourceUnavailableError;
}
