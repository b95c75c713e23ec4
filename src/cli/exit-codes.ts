/**
 * Exit codes of every agentctl command:
 * - 0: done;
 * - 1: something could not be reached or did not answer in time (state store, broker, stream, sink, a
 *   draining agent), a poison storm stopped the consumer, or an unexpected error (a bug);
 * - 2: bad input: an unknown command, flag or argument, a bad flag value, a bad config, a missing store or
 *   config, a name that does not exist (partition, failed item, agent), an unconfirmed action;
 * - 3: `replay --failed` finished, but some items failed again (they stay pending); `status --exit-code`
 *   found a problem: a partition STALLED, one lagging past `--max-lag`, or a tripped poison guard.
 */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_STILL_FAILING = 3;
/** `status --exit-code`: something is stalled, lagging past `--max-lag`, or a poison guard tripped. */
export const EXIT_UNHEALTHY = 3;

/**
 * The exit code of an error by its kind (`ErrorKind` of core errors): 1 when something did not answer or
 * the engine halted itself, 2 for a wrong request (and for a user-facing error that says no kind).
 */
export function exitCodeOf(kind: string | undefined): number {
  return kind === 'unreachable' || kind === 'halted' ? EXIT_FAILURE : EXIT_USAGE;
}

/**
 * The one error style: `error: MESSAGE` (continuation lines indented), then `  try: HINT`.
 */
export function formatError(message: string, hint?: string): string {
  const body = message
    .trimEnd()
    .split('\n')
    .map((line, i) => (i === 0 ? line : `  ${line.trimStart()}`))
    .join('\n');
  return `error: ${body}\n${hint ? `  try: ${hint}\n` : ''}`;
}
