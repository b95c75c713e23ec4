import { BaseCommand } from '../cli/base-command.js';
import { agentFlag } from '../cli/flags.js';
import { Flags } from '../cli/vendor/oclif.js';

/** `--refresh SECONDS`: a positive number of seconds, fractions allowed. */
const refreshFlag = Flags.custom<number>({
  summary: 'Seconds between refreshes of the console (fractions allowed).',
  env: 'AGENTCTL_REFRESH',
  helpValue: 'SECONDS',
  parse: async (input) => {
    const seconds = Number(input);
    if (!Number.isFinite(seconds) || seconds < 0.1 || seconds > 3600) {
      throw new Error(`--refresh takes seconds between 0.1 and 3600, not "${input}"`);
    }
    return seconds;
  },
});

export default class Tui extends BaseCommand {
  static override summary =
    'Live operations console: partitions and lag, runs, retries, failed messages; with actions.';
  static override description =
    'Attaches to the agents that run against the state store (their heartbeats, runs, efforts, the failed store) and asks the source where its partitions stand. Keys: tab panes, j/k move, enter opens a run or a failed message, p peeks around a partition’s checkpoint (Partitions pane; elsewhere it pauses), P pause, / filter, space tag, r replay, D discard, c checkpoint, d drain, ? help, q quit; destructive actions ask first. Needs a terminal: in scripts use `agentctl status --json`.';
  static override examples = [
    '<%= config.bin %> tui',
    '<%= config.bin %> tui --refresh 0.5 --all',
    '<%= config.bin %> tui --db postgres://agentctl@db/agents --readonly',
  ];
  static override flags = {
    agent: agentFlag,
    all: Flags.boolean({
      summary: 'Every agent group in the store, not only the config’s.',
      env: 'AGENTCTL_ALL',
    }),
    refresh: refreshFlag({ default: 1 }),
    readonly: Flags.boolean({
      summary: 'Look only: replay, discard, checkpoint and drain are refused.',
      env: 'AGENTCTL_READONLY',
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Tui);
    if (!process.stdout.isTTY || !process.stdin.isTTY) {
      const { UsageError } = await import('../core/errors/usage-error.js');
      throw new UsageError(
        'agentctl tui needs a terminal (stdin and stdout must be TTYs); in scripts use agentctl status --json',
      );
    }
    const loaded = await this.agentConfig(flags.config);
    // A read-only context makes the console read-only, as --readonly does.
    const readonly = flags.readonly || this.activeContext?.context.readonly === true;
    const { store, config } = await this.openStore(flags, { readonly, mustExist: true });
    const group = flags.all ? undefined : (flags.agent ?? (loaded.path ? config.name : undefined));
    const { renderConsole } = await import('../ui/console/render-console.js');
    const tui = renderConsole({
      store,
      config,
      readonly,
      ...this.consoleContext(),
      refreshMs: Math.round(flags.refresh * 1000),
      ...(group === undefined ? {} : { group }),
    });
    const stop = () => tui.close();
    process.once('SIGTERM', stop);
    process.once('SIGHUP', stop);
    try {
      await tui.closed;
    } finally {
      process.off('SIGTERM', stop);
      process.off('SIGHUP', stop);
    }
  }
}
