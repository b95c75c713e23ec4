import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const BIN = resolve(import.meta.dirname, '../../bin/run.js');

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as one JSON value. */
  json<T = unknown>(): T;
  /** stdout parsed as NDJSON lines. */
  lines<T = unknown>(): T[];
}

export interface CliOptions {
  readonly cwd: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly input?: string;
  readonly timeoutMs?: number;
}

/**
 * An empty XDG_CONFIG_HOME for every CLI run that names none: the contexts of whoever runs the tests
 * (`~/.config/agentctl/contexts.json`) must never change what a test sees, nor be changed by one.
 */
let emptyConfigHome: string | undefined;
function isolatedConfigHome(): string {
  if (emptyConfigHome === undefined) {
    const base = join(tmpdir(), 'agentctl-tests');
    mkdirSync(base, { recursive: true });
    emptyConfigHome = mkdtempSync(join(base, 'xdg-'));
  }
  return emptyConfigHome;
}

function cliEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NO_COLOR: '1',
    XDG_CONFIG_HOME: isolatedConfigHome(),
    ...extra,
  };
  for (const key of Object.keys(env)) if (key.startsWith('AGENTCTL_') && !(key in extra)) delete env[key];
  return env;
}

function result(code: number, stdout: string, stderr: string): CliResult {
  return {
    code,
    stdout,
    stderr,
    json: <T>() => JSON.parse(stdout) as T,
    lines: <T>() =>
      stdout
        .split('\n')
        .filter((l) => l.trim().length > 0)
        .map((l) => JSON.parse(l) as T),
  };
}

/** Runs the real CLI (`bin/run.js`, built into dist/) to completion. */
export function agentctl(args: readonly string[], options: CliOptions): CliResult {
  const run = spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    env: cliEnv(options.env),
    input: options.input ?? '',
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 60_000,
  });
  return result(run.status ?? -1, run.stdout, run.stderr);
}

/** Starts the CLI in the background (for long-running commands such as `consume`). */
export function startAgentctl(
  args: readonly string[],
  options: CliOptions,
): {
  readonly child: ChildProcess;
  readonly done: Promise<CliResult>;
  stdout(): string;
  stderr(): string;
} {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env: cliEnv(options.env) });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const done = new Promise<CliResult>((resolveDone) => {
    child.on('close', (code) => resolveDone(result(code ?? -1, out, err)));
  });
  return { child, done, stdout: () => out, stderr: () => err };
}

/** Writes an agentctl.config.ts into `dir` (the body is the object passed to defineAgent). */
export function writeConfig(dir: string, body: string, preamble = ''): string {
  const path = join(dir, 'agentctl.config.ts');
  writeFileSync(
    path,
    `import { defineAgent, defineProcess, rule, FatalError } from 'agentctl';\n${preamble}\nexport default defineAgent(${body});\n`,
  );
  return path;
}
