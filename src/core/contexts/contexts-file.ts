import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { ConfigError } from '../errors/config-error.js';
import { makePrivateDirectory, PRIVATE_FILE_MODE } from '../private-files.js';

/**
 * A named environment an operator works against: the settings it gives every command (below flags and
 * environment variables, above the config file), and how careful commands must be in it. URIs hold no
 * secret in clear: a password is a `${ENV_VAR}` placeholder (see context-secrets.ts).
 */
export interface AgentContext {
  /** Source URI. */
  readonly source?: string;
  /** State store: an absolute SQLite file path or a postgres:// URI. */
  readonly db?: string;
  /** Sink URI (the config's `publisher.sink`). */
  readonly sink?: string;
  /** Absolute path of the agent config file. */
  readonly config?: string;
  /** Every command that writes is refused. */
  readonly readonly?: boolean;
  /** Destructive actions ask for the context's name to be typed; the TUI shows it in red. */
  readonly production?: boolean;
}

/** The settings a context may hold, in the order they are shown. */
export const CONTEXT_SETTINGS = ['source', 'db', 'sink', 'config'] as const;
export type ContextSetting = (typeof CONTEXT_SETTINGS)[number];

/** What `contexts.json` holds. */
export interface ContextsFile {
  /** The context commands use when neither --context nor AGENTCTL_CONTEXT names one. */
  readonly current?: string;
  readonly contexts: Readonly<Record<string, AgentContext>>;
}

/** Names of contexts: letters, digits, ".", "_" and "-", starting with a letter or digit. */
export const CONTEXT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** `$XDG_CONFIG_HOME/agentctl/contexts.json` (default `~/.config/agentctl/contexts.json`). */
export function contextsPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'agentctl', 'contexts.json');
}

/**
 * The contexts stored at `path` (none when the file does not exist).
 * @throws ConfigError when the file is not a contexts file.
 */
export function readContexts(path: string): ContextsFile {
  if (!existsSync(path)) return { contexts: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`${path} is not valid JSON: ${(error as Error).message}`, undefined, {
      hint: `fix or remove ${path} (it holds agentctl's contexts)`,
    });
  }
  const file = parsed as Partial<ContextsFile> | null;
  if (
    file === null ||
    typeof file !== 'object' ||
    typeof file.contexts !== 'object' ||
    file.contexts === null
  ) {
    throw new ConfigError(`${path} is not an agentctl contexts file (no "contexts" object)`, undefined, {
      hint: `fix or remove ${path}`,
    });
  }
  return { ...(typeof file.current === 'string' ? { current: file.current } : {}), contexts: file.contexts };
}

/**
 * Writes `file` to `path` whole (a temporary file renamed over it, so that a reader never sees half of
 * it): the directory 0700, the file 0600.
 */
export function writeContexts(path: string, file: ContextsFile): void {
  makePrivateDirectory(dirname(path));
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(file, null, 2)}\n`, { mode: PRIVATE_FILE_MODE, flag: 'w' });
  renameSync(temporary, path);
}
