import type { LoadedConfig } from '../core/config/load-config.js';
import { ContextBook } from '../core/contexts/context-book.js';
import { expandPlaceholders } from '../core/contexts/context-secrets.js';
import { type AgentContext, contextsPath } from '../core/contexts/contexts-file.js';

/**
 * Where each setting of a command comes from, highest first: a flag on the command line, its
 * AGENTCTL_* environment variable, the context, the agent config file, the default. oclif folds the
 * environment into flag values, so a flag's value alone cannot tell the two apart: the command line
 * (argv) does.
 */
export type Origin = 'flag' | 'env' | 'context' | 'config file' | 'default';

/** The context a command runs in, and what chose it. */
export interface ActiveContext {
  readonly name: string;
  readonly context: AgentContext;
  /** `--context`, `AGENTCTL_CONTEXT`, or the current context of contexts.json (`context use`). */
  readonly chosenBy: 'flag' | 'env' | 'current';
}

/** A setting's value and where it came from. */
export interface ResolvedSetting {
  readonly value: string | undefined;
  readonly origin: Origin;
}

/** Whether `--NAME` (or `-CHAR`) is on the command line itself (before a `--` that ends the flags). */
export function onCommandLine(argv: readonly string[], name: string, char?: string): boolean {
  for (const arg of argv) {
    if (arg === '--') return false;
    if (arg === `--${name}` || arg.startsWith(`--${name}=`)) return true;
    if (char !== undefined && /^-[^-]/.test(arg) && arg.slice(1).startsWith(char)) return true;
  }
  return false;
}

/** A flag's value came from the command line or from its environment variable. */
export function flagOrigin(argv: readonly string[], name: string, char?: string): 'flag' | 'env' {
  return onCommandLine(argv, name, char) ? 'flag' : 'env';
}

/**
 * The context to use: the one `named` (by --context or AGENTCTL_CONTEXT), else the current one of
 * contexts.json, else none.
 * @throws UsageError for a name that is not a context.
 */
export function chooseContext(
  named: string | undefined,
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): ActiveContext | undefined {
  const book = new ContextBook(contextsPath(env));
  if (named !== undefined && named !== '') {
    return { name: named, context: book.get(named), chosenBy: flagOrigin(argv, 'context') };
  }
  const current = book.current();
  return current === undefined
    ? undefined
    : { name: current, context: book.get(current), chosenBy: 'current' };
}

/**
 * The loaded config with the context's settings over the file's (source, store, publisher sink), the
 * `${ENV_VAR}` placeholders of its URIs filled from `env`. Flags and environment variables still win:
 * commands apply them over the config.
 * @throws UsageError when a placeholder's variable is not set.
 */
export function withContext(
  loaded: LoadedConfig,
  active: ActiveContext | undefined,
  env: NodeJS.ProcessEnv = process.env,
): LoadedConfig {
  if (active === undefined) return loaded;
  const { source, db, sink } = active.context;
  const fill = (uri: string, setting: string) =>
    expandPlaceholders(uri, env, { context: active.name, setting });
  const config = {
    ...loaded.config,
    ...(source === undefined ? {} : { source: fill(source, 'source') }),
    ...(db === undefined ? {} : { store: fill(db, 'db') }),
    ...(sink === undefined ? {} : { publisher: { ...loaded.config.publisher, sink: fill(sink, 'sink') } }),
  };
  return { ...loaded, config };
}

/** The flags whose values a context can give, with the config key each stands for. */
const SETTINGS = {
  source: { char: 's', file: (l: LoadedConfig) => l.config.source },
  db: { char: undefined, file: (l: LoadedConfig) => l.config.store },
  sink: { char: undefined, file: (l: LoadedConfig) => l.config.publisher?.sink },
} as const;

/**
 * Each setting a command resolves, with its origin (for `agentctl doctor`): the context, the config
 * file, the store, the source and the sink. `fileConfig` is the config as the file says it (without the
 * context); `defaults` the values used when nothing gives one.
 */
export function resolveSettings(input: {
  readonly flags: Readonly<Record<string, unknown>>;
  readonly argv: readonly string[];
  readonly active: ActiveContext | undefined;
  readonly fileConfig: LoadedConfig;
  readonly defaults: Readonly<Record<keyof typeof SETTINGS, string>>;
}): Record<'context' | 'config' | keyof typeof SETTINGS, ResolvedSetting> {
  const { flags, argv, active, fileConfig } = input;
  const context: ResolvedSetting =
    active === undefined
      ? { value: undefined, origin: 'default' }
      : { value: active.name, origin: active.chosenBy === 'current' ? 'context' : active.chosenBy };
  const config: ResolvedSetting =
    typeof flags.config === 'string'
      ? { value: fileConfig.path, origin: flagOrigin(argv, 'config', 'c') }
      : active?.context.config !== undefined
        ? { value: fileConfig.path, origin: 'context' }
        : { value: fileConfig.path, origin: 'default' };
  const resolved = { context, config } as Record<string, ResolvedSetting>;
  for (const [name, { char, file }] of Object.entries(SETTINGS)) {
    const key = name as keyof typeof SETTINGS;
    const flag = flags[key];
    resolved[key] =
      typeof flag === 'string'
        ? { value: flag, origin: flagOrigin(argv, key, char) }
        : active?.context[key] !== undefined
          ? { value: active.context[key], origin: 'context' }
          : file(fileConfig) !== undefined
            ? { value: file(fileConfig), origin: 'config file' }
            : { value: input.defaults[key], origin: 'default' };
  }
  return resolved as Record<'context' | 'config' | keyof typeof SETTINGS, ResolvedSetting>;
}
