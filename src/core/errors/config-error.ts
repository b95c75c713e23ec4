import { AgentctlError, type AgentctlErrorOptions } from './agentctl-error.js';

/** The agent configuration is invalid: `key` names the offending setting. */
export class ConfigError extends AgentctlError {
  readonly code = 'CONFIG';
  readonly retriable = false;
  override readonly userFacing = true;

  constructor(
    message: string,
    readonly key?: string,
    options?: AgentctlErrorOptions,
  ) {
    super(message, options);
  }
}

export function isConfigError(error: unknown): error is ConfigError {
  return error instanceof ConfigError;
}
