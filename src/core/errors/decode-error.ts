import { AgentctlError } from './agentctl-error.js';

/** A payload is not valid JSON or not a known event envelope. Parked with reason `decode`; never retried. */
export class DecodeError extends AgentctlError {
  readonly code = 'DECODE';
  readonly retriable = false;
}

export function isDecodeError(error: unknown): error is DecodeError {
  return error instanceof DecodeError;
}
