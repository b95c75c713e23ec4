import { stripVTControlCharacters } from 'node:util';
import type * as Interfaces from '@oclif/core/interfaces';
import type { AgentConfig } from '../core/config/agent-config.js';
import type { LoadedConfig } from '../core/config/load-config.js';
import type { StateStore } from '../core/store/state-store.js';
import { didYouMean } from './did-you-mean.js';
import { applyDeprecatedEnv } from './env-names.js';
import { EXIT_FAILURE, EXIT_USAGE, exitCodeOf, formatError } from './exit-codes.js';
import { commonFlags, jsonFlag } from './flags.js';
import type { ActiveContext } from './settings.js';
import { Command, Errors } from './vendor/oclif.js';

/** An error a command raises on purpose: one line for the user, plus what to try. */
interface UserFacing {
  readonly userFacing: true;
  readonly message: string;
  readonly hint?: string;
  /** See `ErrorKind` in core/errors: it sets the exit code. */
  readonly kind?: string;
}

function isUserFacing(error: unknown): error is UserFacing {
  return (
    typeof error === 'object' && error !== null && (error as { userFacing?: unknown }).userFacing === true
  );
}

/** Engine errors that are not the user's fault but still carry a message and a hint worth showing. */
function isOperational(error: unknown): error is { message: string; hint?: string; kind: string } {
  const kind = (error as { kind?: unknown } | null)?.kind;
  return typeof kind === 'string' && exitCodeOf(kind) === EXIT_FAILURE;
}

/** oclif's FlagOutput and ArgOutput (not exported by name). */
// biome-ignore lint/suspicious/noExplicitAny: the shape oclif's parser declares
type Parsed = { [name: string]: any };

/** Where a store location came from, to name it when it is missing. */
type StoreOrigin = 'flag' | 'context' | 'config' | 'default';

/**
 * What every agentctl command shares: the common flags, lazy config and store loading, compact JSON
 * output, and one place that turns errors into output — a user error prints one line naming the
 * problem and the fix; anything else is a bug and prints its stack under `--verbose`. Secrets in
 * messages are redacted. Exit codes: see `exit-codes.ts`.
 */
export abstract class BaseCommand extends Command {
  // Replaced below by a getter that adds `--json` (this declaration gives the flags their types).
  static override baseFlags = commonFlags;

  private loaded: LoadedConfig | undefined;
  /** The config as its file says it, before the context's settings. */
  protected fileConfig: LoadedConfig | undefined;
  private openedStore: StateStore | undefined;
  /** The context this command runs in (see `parse`). */
  protected activeContext: ActiveContext | undefined;

  protected override async init(): Promise<void> {
    await super.init();
    applyDeprecatedEnv(this.id, (line) => process.stderr.write(`${line}\n`));
  }

  /**
   * Parses as oclif does, then takes the context (`--context`, `AGENTCTL_CONTEXT`, or the current one)
   * and refuses a command that writes in a read-only context — before the command does anything.
   */
  protected override async parse<F extends Parsed, B extends Parsed, A extends Parsed>(
    options?: Interfaces.Input<F, B, A>,
    argv?: string[],
  ): Promise<Interfaces.ParserOutput<F, B, A>> {
    const parsed = await super.parse(options, argv).catch((error: unknown) => {
      throw argumentError(error, `agentctl ${this.id?.replace(/:/g, ' ') ?? ''} --help`);
    });
    const { chooseContext } = await import('./settings.js');
    const { refuseWritesIn } = await import('./writing-commands.js');
    this.activeContext = chooseContext((parsed.flags as { context?: string }).context, argv ?? this.argv);
    refuseWritesIn(this.activeContext, this.id, parsed.flags as Record<string, unknown>);
    return parsed;
  }

  /**
   * Asks before a destructive action (see `confirm`); in a production context the operator types the
   * context's name instead of y.
   */
  protected async confirm(question: string, yes: boolean): Promise<void> {
    const { confirm } = await import('./confirm.js');
    const production = this.activeContext?.context.production ? this.activeContext.name : undefined;
    return confirm(question, yes, production === undefined ? {} : { typeToConfirm: production });
  }

  /** The context as the TUI shows it (its name; production or not), when there is one. */
  protected consoleContext(): { context: { name: string; production: boolean } } | Record<never, never> {
    const active = this.activeContext;
    return active === undefined
      ? {}
      : { context: { name: active.name, production: active.context.production === true } };
  }

  /** `--json`, or `AGENTCTL_JSON` (and, for one release, `AGENTCTL_CONTENT_TYPE=json`). */
  override jsonEnabled(): boolean {
    if (super.jsonEnabled()) return true;
    const env = process.env.AGENTCTL_JSON;
    return this.ctor.enableJsonFlag && env !== undefined && /^(1|true|y|yes)$/i.test(env);
  }

  /** A line on stderr beginning `note: ` (stdout stays the command's output); nothing when undefined. */
  protected note(text: string | undefined): void {
    if (text !== undefined) process.stderr.write(`note: ${text}\n`);
  }

  /**
   * The agent config (file or defaults), loaded once, with the context's settings over the file's.
   * Without a file it says so on stderr, and with `required` it refuses: `what` names what needs the
   * config (rules, processes). `--config` (or its variable) wins over the context's config file.
   */
  protected async agentConfig(
    configFlag?: string,
    options: { readonly required?: string } = {},
  ): Promise<LoadedConfig> {
    if (this.loaded === undefined) {
      const { loadConfig, CONFIG_FILES } = await import('../core/config/load-config.js');
      const { withContext } = await import('./settings.js');
      const loaded = await loadConfig(process.cwd(), configFlag ?? this.activeContext?.context.config);
      if (loaded.path === undefined) {
        const { DEFAULT_STORE_PATH } = await import('../core/store/sqlite/store-defaults.js');
        const names = `agentctl.config.{${CONFIG_FILES.map((f) => f.slice('agentctl.config.'.length)).join(',')}}`;
        if (options.required !== undefined) {
          const { UsageError } = await import('../core/errors/usage-error.js');
          throw new UsageError(`no ${names} in ${process.cwd()}: ${options.required}`, {
            hint: 'run it in the directory of your agent, pass --config FILE, or `agentctl init` to create one',
          });
        }
        process.stderr.write(
          `note: no ${names} in ${process.cwd()}: using the defaults (agent "agent", source local:, store ${DEFAULT_STORE_PATH}, no rules), under what --source and --db say; pass --config FILE to use one\n`,
        );
      }
      this.fileConfig = loaded;
      this.loaded = withContext(loaded, this.activeContext);
    }
    return this.loaded;
  }

  /**
   * The state store: `--db`, else the config's `store` (relative to the config file), else the default.
   * Closed when the command ends. A SQLite file that does not exist yet is refused with `mustExist`
   * (commands that look at what ran: a mistyped path must not show an empty store as if it were real),
   * and otherwise created with a line on stderr saying so.
   */
  protected async openStore(
    flags: { readonly db?: string | undefined; readonly config?: string | undefined },
    options: { readonly readonly?: boolean; readonly mustExist?: boolean } = {},
  ): Promise<{ store: StateStore; config: AgentConfig }> {
    const loaded = await this.agentConfig(flags.config);
    const { openStore, sqliteStoreFile } = await import('../core/store/open-store.js');
    const { DEFAULT_STORE_PATH } = await import('../core/store/sqlite/store-defaults.js');
    const origin: StoreOrigin =
      flags.db !== undefined
        ? 'flag'
        : this.activeContext?.context.db !== undefined
          ? 'context'
          : loaded.config.store !== undefined
            ? 'config'
            : 'default';
    const location = flags.db ?? loaded.config.store ?? DEFAULT_STORE_PATH;
    const baseDir = flags.db === undefined ? loaded.dir : process.cwd();
    const file = sqliteStoreFile(location, baseDir);
    if (file !== undefined) {
      const { existsSync } = await import('node:fs');
      if (!existsSync(file)) {
        if (options.mustExist) {
          throw await missingStore(
            file,
            origin,
            origin === 'context' ? this.activeContext?.name : loaded.path,
          );
        }
        process.stderr.write(`creating a new state store at ${file}\n`);
      }
    }
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
      this.argv.includes('--verbose') || /^(1|true|y|yes)$/i.test(process.env.AGENTCTL_VERBOSE ?? '');
    const usage = `agentctl ${this.id?.replace(/:/g, ' ') ?? ''} --help`;
    let message: string;
    let hint: string | undefined;
    let exit: number;
    if (isUserFacing(error) || isOperational(error)) {
      message = error.message;
      hint = error.hint;
      exit = exitCodeOf(error.kind);
    } else if (error.oclif !== undefined) {
      ({ message, hint } = this.describeParseError(error, usage));
      exit = EXIT_USAGE;
    } else {
      message = error.message;
      hint = verbose ? undefined : 'run again with --verbose for details (this is an unexpected error)';
      exit = EXIT_FAILURE;
    }
    process.stderr.write(
      formatError(redactSecrets(message), hint === undefined ? undefined : redactSecrets(hint)),
    );
    if (verbose && error.stack) process.stderr.write(`${redactSecrets(error.stack)}\n`);
    process.exitCode = exit;
    return this.exit(exit);
  }

  /** oclif's own errors, whole (not only their first line), with "did you mean" for a mistyped flag. */
  private describeParseError(error: Error, usage: string): { message: string; hint: string } {
    const text = stripVTControlCharacters(error.message).replace(/\n*See more help with --help\s*$/, '');
    const unknownFlags = (error as { flags?: unknown }).flags;
    if (Array.isArray(unknownFlags) && unknownFlags.length > 0) {
      const known = Object.keys(this.allFlags()).map((name) => `--${name}`);
      const lines = (unknownFlags as string[]).map((typed) => {
        const name = typed.split('=')[0] ?? typed;
        const guess = didYouMean(name, known);
        return guess === undefined ? `unknown flag ${name}` : `unknown flag ${name}; did you mean ${guess}?`;
      });
      return { message: lines.join('\n'), hint: usage };
    }
    // "Parsing --limit \n\tExpected an integer …" reads better as "--limit: expected an integer …".
    const parsing = /^Parsing (--[\w-]+)\s*\n\s*(.*)$/s.exec(text);
    if (parsing !== null) return { message: `${parsing[1]}: ${parsing[2]}`, hint: usage };
    return { message: text, hint: usage };
  }

  private allFlags(): Interfaces.FlagInput {
    const ctor = this.ctor as unknown as { flags?: Interfaces.FlagInput; baseFlags?: Interfaces.FlagInput };
    return { ...(this.ctor.enableJsonFlag ? { json: jsonFlag } : {}), ...ctor.baseFlags, ...ctor.flags };
  }
}

/**
 * oclif's parser throws a plain Error (no `oclif` exit, so it would read as a bug, exit 1) when an
 * argument's own parse refuses it, e.g. `failed show abc`: "Expected an integer but received: abc".
 * That is bad input: a usage error, exit 2, with the command's help as the hint. Errors oclif already
 * tells apart (flags, missing arguments) pass as they are.
 */
function argumentError(error: unknown, usage: string): unknown {
  if (!(error instanceof Error) || (error as { oclif?: unknown }).oclif !== undefined) return error;
  if ((error as { userFacing?: boolean }).userFacing === true) return error;
  return Object.assign(new Error(`argument: ${error.message}`), { oclif: { exit: EXIT_USAGE }, hint: usage });
}

/*
 * The common flags, plus `--json` with its AGENTCTL_JSON variable on the commands that enable it. oclif
 * adds a `--json` of its own (without a variable) unless the flags hold one; a getter sees the subclass
 * as `this`, so each command gets the set its `enableJsonFlag` asks for.
 */
Object.defineProperty(BaseCommand, 'baseFlags', {
  get(this: typeof Command) {
    return this.enableJsonFlag ? { ...commonFlags, json: jsonFlag } : commonFlags;
  },
  configurable: true,
});

/** `where`: the config file's path, or the context's name, that named the store. */
async function missingStore(file: string, origin: StoreOrigin, where: string | undefined) {
  const { MissingStoreError } = await import('../core/errors/usage-error.js');
  const named =
    origin === 'flag'
      ? 'check --db (or AGENTCTL_DB) for a typo'
      : origin === 'context'
        ? `check the db of context "${where}" (agentctl context show ${where})`
        : origin === 'config'
          ? `check "store" in ${where}`
          : 'run it in the directory of your agent (where agentctl consume ran), or give --db PATH';
  return new MissingStoreError(`no state store at ${file}: nothing has run against it`, {
    hint: `${named} (agentctl consume and agentctl publish create a store)`,
  });
}
