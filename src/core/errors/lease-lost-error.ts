import type { Partition } from '../types.js';
import { AgentctlError } from './agentctl-error.js';

/** This process no longer owns a partition's lease; it must stop processing and committing it. */
export class LeaseLostError extends AgentctlError {
  readonly code = 'LEASE_LOST';
  readonly retriable = true;

  constructor(readonly partitions: readonly Partition[]) {
    super(`lost the lease on ${partitions.join(', ')}`);
  }
}

export function isLeaseLostError(error: unknown): error is LeaseLostError {
  return error instanceof LeaseLostError;
}
