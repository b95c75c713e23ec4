import { AgentctlError } from './agentctl-error.js';

/** A command was called with arguments that cannot work (bad URI, unknown id, conflicting flags). */
export class UsageError extends AgentctlError {
  readonly code = 'USAGE';
  readonly retriable = false;
  override readonly userFacing = true;
}

export function isUsageError(error: unknown): error is UsageError {
  return error instanceof UsageError;
}

/** The state store a command should look at does not exist (nothing has run against it). */
export class MissingStoreError extends UsageError {}
