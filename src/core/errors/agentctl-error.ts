import { redactSecrets } from '../redact.js';

export interface AgentctlErrorOptions {
  readonly cause?: unknown;
  /** What an operator can do about it, shown under the message. */
  readonly hint?: string;
}

/**
 * Whose move it is, which sets the CLI's exit code (see `cli/exit-codes.ts`): `input` — the request was
 * wrong (a flag, a config, a name that does not exist; exit 2); `unreachable` — something the command
 * needs did not answer or not in time (a broker, a stream, the store; exit 1, try again later); `halted`
 * — the engine stopped itself to protect the data (a poison storm; exit 1).
 */
export type ErrorKind = 'input' | 'unreachable' | 'halted';

/**
 * Base of every error the engine raises on purpose. `retriable` tells callers whether trying again can
 * help; `userFacing` tells the CLI to print one clear line instead of a stack (the input was wrong, not the
 * code).
 */
export abstract class AgentctlError extends Error {
  abstract readonly code: string;
  abstract readonly retriable: boolean;
  readonly userFacing: boolean = false;
  /** See `ErrorKind`. */
  readonly kind: ErrorKind = 'input';
  readonly hint: string | undefined;

  constructor(message: string, options: AgentctlErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
  }
}

export function isAgentctlError(error: unknown): error is AgentctlError {
  return error instanceof AgentctlError;
}

/** `retriable` of an engine error; unknown errors are assumed transient. */
export function isRetriable(error: unknown): boolean {
  return isAgentctlError(error) ? error.retriable : true;
}

/**
 * A short, single-line description of any thrown value, credentials in it redacted: this is the text
 * stored with runs, steps, efforts and parked items, so a secret in an error never reaches the store.
 */
export function describeError(error: unknown): string {
  if (error instanceof Error) return redactSecrets(error.message.split('\n')[0] ?? error.name);
  return redactSecrets(String(error));
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/**
 * True for failures worth waiting out: engine errors marked retriable, and network errors. Unknown
 * errors are not (they are bugs until shown otherwise), unlike `isRetriable`, which is for the retry
 * policies of user steps.
 */
export function isTransientFailure(error: unknown): boolean {
  if (isAgentctlError(error)) return error.retriable;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && NETWORK_CODES.has(code);
}
