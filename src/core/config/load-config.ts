import { chmodSync, existsSync, readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../errors/config-error.js';
import { makePrivateDirectory, PRIVATE_DIRECTORY_MODE } from '../private-files.js';
import { rule } from '../rules/rule.js';
import type { AgentConfig } from './agent-config.js';
import { CONFIG_ENTRY, narrowAgentctlImport, needsLibrary } from './config-entry-import.js';
import { cachedConfigTransform, jitiTransform } from './config-transform-cache.js';

/** File names looked for in the working directory, in this order. */
export const CONFIG_FILES = [
  'agentctl.config.ts',
  'agentctl.config.mts',
  'agentctl.config.js',
  'agentctl.config.mjs',
  'agentctl.config.json',
] as const;

export interface LoadedConfig {
  readonly config: AgentConfig;
  /** Absolute path of the file, or undefined when none was found (defaults apply). */
  readonly path: string | undefined;
  /** Directory relative paths in the config are resolved against. */
  readonly dir: string;
}

/** The config file to use: `explicit` if given (must exist), else the first of CONFIG_FILES in `cwd`. */
export function findConfig(cwd: string, explicit?: string): string | undefined {
  if (explicit !== undefined) {
    const path = resolve(cwd, explicit);
    if (!existsSync(path)) {
      throw new ConfigError(`config file not found: ${path}`, undefined, {
        hint: 'check --config (or AGENTCTL_CONFIG), or run `agentctl init` to create one',
      });
    }
    return path;
  }
  for (const name of CONFIG_FILES) {
    const path = resolve(cwd, name);
    if (existsSync(path)) return path;
  }
  return undefined;
}

/**
 * This installation's library, which configs import as `agentctl` wherever they live (`agentctl/config`
 * is handed to jiti as a loaded module: see `loadedEntries`).
 */
function publicApi(): string {
  const here = fileURLToPath(import.meta.url);
  return join(dirname(here), '..', here.endsWith('.ts') ? 'index.ts' : 'index.js');
}

/**
 * jiti through its CommonJS entry: `import('jiti')` reaches the same 190 kB `dist/jiti.cjs` from ESM, and
 * Node then scans all of it for named exports (cjs-module-lexer) before running it — ~35 ms of CPU in
 * every process that loads a TypeScript or JavaScript config. `require` runs it without that scan.
 */
function loadJiti(): typeof import('jiti') {
  return createRequire(import.meta.url)('jiti') as typeof import('jiti');
}

/**
 * Loads a TypeScript or JavaScript config with jiti. Its `agentctl` import is pointed at `agentctl/config`
 * when it uses nothing else (narrowAgentctlImport), so that reading a config does not load the engine.
 */
async function importModule(path: string): Promise<unknown> {
  const { createJiti } = loadJiti();
  const cache = configCache();
  // Transpiled configs are cached on disk, keyed by content, so only the first run of a config pays.
  const transform = cache === false ? jitiTransform : cachedConfigTransform(cache);
  const entry = await import('./index.js');
  const entryNames = new Set(Object.keys(entry));
  const jiti = createJiti(import.meta.url, {
    interopDefault: true,
    moduleCache: false,
    fsCache: false,
    transform: (options) => {
      const result = transform(options);
      return result.error === undefined
        ? { ...result, code: narrowAgentctlImport(result.code, entryNames) }
        : result;
    },
    alias: { agentctl: publicApi() },
    virtualModules: await loadedEntries(path, entry),
  });
  return jiti.import(path, { default: true });
}

/**
 * The entries a config gets as the modules this process has loaded: `agentctl/config` always, the
 * library when the config may reach a `require` of it (see `needsLibrary`).
 */
async function loadedEntries(path: string, entry: unknown): Promise<Record<string, unknown>> {
  const modules: Record<string, unknown> = { [CONFIG_ENTRY]: entry };
  let source = '';
  try {
    source = readFileSync(path, 'utf8');
  } catch {
    // jiti reports a file it cannot read.
  }
  if (needsLibrary(source)) modules.agentctl = await import('../index.js');
  return modules;
}

/**
 * Where transpiled configs are cached: a directory of the user's alone (0700), since a config holds
 * credentials — not jiti's default, a shared `/tmp/jiti` that anyone can read (or fill first). No cache
 * when it cannot be made private.
 */
function configCache(): string | false {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  const directory = join(base, 'agentctl', 'config');
  try {
    makePrivateDirectory(directory);
    if ((statSync(directory).mode & 0o077) !== 0) chmodSync(directory, PRIVATE_DIRECTORY_MODE);
    return directory;
  } catch {
    return false;
  }
}

/** Normalises what a JSON file can express (rules with a string `on`). */
function normaliseJson(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const config = value as { rules?: unknown };
  if (!Array.isArray(config.rules)) return value;
  return {
    ...config,
    rules: config.rules.map((r) => (typeof r === 'object' && r !== null ? rule(r as never) : r)),
  };
}

/**
 * Loads and validates the agent config. With no file and no `--config`, returns `{ name: 'agent' }` so
 * that store-only commands (`status`, `failed`, `checkpoint`) work anywhere.
 * @throws ConfigError for a missing file, a file that fails to load, or an invalid config.
 */
export async function loadConfig(cwd: string, explicit?: string): Promise<LoadedConfig> {
  const path = findConfig(cwd, explicit);
  if (path === undefined) return { config: { name: 'agent' }, path: undefined, dir: cwd };
  // The schema (zod and the parsers built from it, ~15 ms of CPU) only when there is a file to check.
  const { validateAgentConfig } = await import('./config-schema.js');
  let value: unknown;
  try {
    value =
      extname(path) === '.json'
        ? normaliseJson(JSON.parse(await readFile(path, 'utf8')))
        : await importModule(path);
  } catch (cause) {
    throw loadError(path, cause);
  }
  return { config: validateAgentConfig(value, `config ${path}`), path, dir: dirname(path) };
}

/** A config file that failed to load: a schema error names the key, a syntax error file:line:column. */
function loadError(path: string, cause: unknown): ConfigError {
  // defineAgent validates while the file loads; its error may come from another copy of this module.
  const invalid = cause as { code?: unknown; key?: unknown; message?: unknown; hint?: unknown };
  if (invalid?.code === 'CONFIG' && typeof invalid.message === 'string') {
    return new ConfigError(
      `invalid config ${path}: ${invalid.message.replace(/^invalid agent definition: /, '')}`,
      typeof invalid.key === 'string' ? invalid.key : undefined,
      {
        cause,
        hint: typeof invalid.hint === 'string' ? invalid.hint : 'see "Configuration reference" in the README',
      },
    );
  }
  const message = cause instanceof Error ? cause.message : String(cause);
  const at = syntaxLocation(path, message);
  if (at !== undefined) {
    // The mistake may be in a module the config imports: name the file it is in.
    const inConfig = resolve(at.file) === resolve(path);
    const what = inConfig ? 'the config' : `${basename(at.file)}, which the config loads`;
    return new ConfigError(`${at.where}: syntax error in ${what}: ${at.what}`, undefined, {
      cause,
      hint: `fix ${inConfig ? 'the config' : at.file} at line ${at.line}, column ${at.column}; \`agentctl init\` shows a working example`,
    });
  }
  return new ConfigError(`cannot load ${path}: ${message.split('\n')[0]}`, undefined, {
    cause,
    hint: 'check the file and what it imports; `agentctl init` shows a working example',
  });
}

/**
 * Where a syntax error is, as editors count it (line and column from 1): jiti says
 * `ParseError: WHAT\n PATH:LINE:COL` with babel's column from 0, JSON.parse `… at position N`.
 */
function syntaxLocation(
  path: string,
  message: string,
): { file: string; where: string; what: string; line: number; column: number } | undefined {
  const parsed = /^(?:\w*Error: )?(.*?)\s*\n\s*(\S+):(\d+):(\d+)\s*$/s.exec(message);
  if (parsed !== null) {
    const [line, column] = [Number(parsed[3]), Number(parsed[4]) + 1];
    return {
      file: parsed[2]!,
      where: `${parsed[2]}:${line}:${column}`,
      what: parsed[1]!.trim(),
      line,
      column,
    };
  }
  const json = /^(.*?) in JSON at position (\d+)/.exec(message);
  if (json !== null && extname(path) === '.json') {
    const text = readFileSync(path, 'utf8').slice(0, Number(json[2]));
    const line = text.split('\n').length;
    const column = text.length - text.lastIndexOf('\n');
    return { file: path, where: `${path}:${line}:${column}`, what: json[1]!, line, column };
  }
  return undefined;
}
