import { AgentctlError } from './agentctl-error.js';

/** A rule's `when` or `params` threw. The event is parked with the rule's name. */
export class RuleError extends AgentctlError {
  readonly code = 'RULE';
  readonly retriable = false;

  constructor(
    readonly rule: string,
    cause: unknown,
  ) {
    super(`rule "${rule}" threw: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

export function isRuleError(error: unknown): error is RuleError {
  return error instanceof RuleError;
}
