import { Command, Errors } from '@oclif/core';
import type { AgentConfig } from '../core/config/agent-config.js';
import type { LoadedConfig } from '../core/config/load-config.js';
import type { StateStore } from '../core/store/state-store.js';
import { commonFlags } from './flags.js';

/** An error a command raises on purpose: one line for the user, plus what to try. */
interface UserFacing {
  readonly userFacing: true;
  readonly message: string;
  readonly hint?: string;
  readonly code?: string;
}

function isUserFacing(error: unknown): error is UserFacing {
  return (
    typeof error === 'object' && error !== null && (error as { userFacing?: unknown }).userFacing === true
  );
}

/** Exit codes: 1 for failures at run time, 2 for bad input (flags, config, arguments). */
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

/**
 * What every agentctl command shares: the common flags, lazy config and store loading, compact JSON
 * output, and one place that turns errors into output — a user error prints one line naming the
 * problem and the fix; anything else is a bug and prints its stack under `--verbose`. Secrets in
 * messages are redacted.
 */
export abstract class BaseCommand extends Command {
  static override baseFlags = commonFlags;

  private loaded: LoadedConfig | undefined;
  private openedStore: StateStore | undefined;

  /** The agent config (file or defaults), loaded once. */
  protected async agentConfig(configFlag?: string): Promise<LoadedConfig> {
    if (this.loaded === undefined) {
      const { loadConfig } = await import('../core/config/load-config.js');
      this.loaded = await loadConfig(process.cwd(), configFlag);
    }
    return this.loaded;
  }

  /**
   * The state store: `--db`, else the config's `store` (relative to the config file), else the default.
   * Closed when the command ends.
   */
  protected async openStore(
    flags: { readonly db?: string | undefined; readonly config?: string | undefined },
    options: { readonly readonly?: boolean } = {},
  ): Promise<{ store: StateStore; config: AgentConfig }> {
    const loaded = await this.agentConfig(flags.config);
    const { openStore } = await import('../core/store/open-store.js');
    const { DEFAULT_STORE_PATH } = await import('../core/store/sqlite/store-defaults.js');
    const location = flags.db ?? loaded.config.store ?? DEFAULT_STORE_PATH;
    const baseDir = flags.db === undefined ? loaded.dir : process.cwd();
    this.openedStore = await openStore(location, {
      baseDir,
      ...(options.readonly ? { readonly: true } : {}),
    });
    return { store: this.openedStore, config: loaded.config };
  }

  /** JSON output is one compact line, so that NDJSON streams and `--json` results read alike. */
  override logJson(json: unknown): void {
    process.stdout.write(`${JSON.stringify(json)}\n`);
  }

  protected override async finally(error: Error | undefined): Promise<unknown> {
    await this.openedStore?.close().catch(() => undefined);
    return super.finally(error);
  }

  protected override async catch(
    error: Error & { exitCode?: number; oclif?: { exit?: number } },
  ): Promise<unknown> {
    const { redactSecrets } = await import('../core/redact.js');
    if (error instanceof Errors.ExitError) throw error;
    const verbose =
      this.argv.includes('--verbose') || /^(1|true|yes)$/i.test(process.env.AGENTCTL_VERBOSE ?? '');
    let line: string;
    let exit: number;
    if (isUserFacing(error)) {
      line = redactSecrets(error.message) + (error.hint ? `\n  try: ${redactSecrets(error.hint)}` : '');
      exit =
        error.code === 'SOURCE_UNAVAILABLE' ||
        error.code === 'POISON_STORM' ||
        error.code === 'NOT_FOUND' ||
        error.code === 'TIMEOUT'
          ? EXIT_FAILURE
          : EXIT_USAGE;
    } else if (error.oclif !== undefined) {
      line = `${redactSecrets(error.message.split('\n')[0] ?? error.message)}\n  try: agentctl ${this.id?.replace(/:/g, ' ') ?? ''} --help`;
      exit = EXIT_USAGE;
    } else {
      line =
        redactSecrets(error.message) +
        (verbose ? '' : '\n  (an unexpected error: run again with --verbose for details)');
      exit = EXIT_FAILURE;
    }
    process.stderr.write(`error: ${line}\n`);
    if (verbose && error.stack) process.stderr.write(`${redactSecrets(error.stack)}\n`);
    process.exitCode = exit;
    return this.exit(exit);
  }
}
