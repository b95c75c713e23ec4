import { didYouMean } from './did-you-mean.js';
import { EXIT_USAGE, formatError } from './exit-codes.js';
import { Config, Errors, flush, handle, run } from './vendor/oclif.js';

/**
 * The CLI's entry point (`bin/run.js`): runs oclif with what it lacks for this CLI — `agentctl help
 * [COMMAND]`, "did you mean" for a mistyped command, errors raised before any command runs in the one
 * `error: … / try: …` style with exit 2, and a quiet exit when the reader of stdout goes away.
 */
export async function main(argv: readonly string[], root: string): Promise<void> {
  quietOnClosedStdout();
  const config = await Config.load(root);
  const args = argv[0] === 'help' ? [...argv.slice(1), '--help'] : [...argv];
  try {
    const unknown = unknownCommand(config, args);
    if (unknown !== undefined) throw unknown;
    await run(args, config);
    await flush();
  } catch (error) {
    if (error instanceof Errors.ExitError) {
      process.exitCode = error.oclif.exit ?? 1;
      return;
    }
    const notFound = /^command (\S+) not found$/.exec((error as Error).message ?? '');
    if (notFound !== null) {
      reportUnknown(config, notFound[1]!.replace(/:/g, ' '));
      return;
    }
    if (error instanceof UnknownCommand) {
      reportUnknown(config, error.typed);
      return;
    }
    await handle(error as Error);
  }
}

class UnknownCommand extends Error {
  constructor(readonly typed: string) {
    super(`unknown command ${typed}`);
  }
}

/** `agentctl TOPIC TYPO`: oclif would show the topic's help and exit 0, as if all went well. */
function unknownCommand(config: Config, args: readonly string[]): UnknownCommand | undefined {
  const [first, second] = args;
  if (first === undefined || second === undefined || second.startsWith('-')) return undefined;
  if (config.findCommand(first) !== undefined || config.findTopic(first) === undefined) return undefined;
  return config.findCommand(`${first}:${second}`) === undefined
    ? new UnknownCommand(`${first} ${second}`)
    : undefined;
}

function reportUnknown(config: Config, typed: string): void {
  const ids = config.commandIDs.map((id) => id.replace(/:/g, ' '));
  const guess = didYouMean(typed, ids);
  const line = formatError(
    guess === undefined
      ? `"${typed}" is not an agentctl command`
      : `"${typed}" is not an agentctl command; did you mean "${guess}"?`,
    guess === undefined ? 'agentctl help (lists the commands)' : `agentctl ${guess} --help`,
  );
  process.stderr.write(line);
  process.exitCode = EXIT_USAGE;
}

/**
 * `agentctl failed export | head`: when the reader closes the pipe, stop at once and exit 0 — the reader
 * took what it wanted — instead of a stack trace for EPIPE. 0 rather than 141 (a shell's code for a
 * SIGPIPE death) so that `set -o pipefail` scripts do not fail on an ordinary `| head`.
 */
function quietOnClosedStdout(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}
