/**
 * Runs README examples as a user would: the example's text goes to `bash -c` in a fresh temp project,
 * with `agentctl` on the PATH as a symlink to this repository's built `bin/run.js` (what `npm link`
 * gives), `AGENTCTL_*` variables cleared and colours off. Everything is spawned asynchronously, so a test
 * process serving kinesalite never blocks its event loop.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, expect, it } from 'vitest';
import { BIN } from '../support/cli.js';
import { tempDir } from '../support/temp.js';
import { COVERAGE, KNOWN_FAILURES, type Scenario } from './coverage.js';
import { readmeExamples } from './readme-examples.js';

export const REPO = resolve(import.meta.dirname, '../..');

export interface ShellResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout and stderr, for messages. */
  readonly output: string;
}

export interface Running {
  readonly child: ChildProcess;
  readonly done: Promise<ShellResult>;
  stdout(): string;
  stderr(): string;
}

/** A fresh temp project directory with a `bin/agentctl` on the PATH given to commands run in it. */
export interface Project {
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  /** Starts a shell command line in the project. */
  start(line: string, extraEnv?: Record<string, string>): Running;
  /** Runs a shell command line in the project to its end (killed after `timeoutMs`). */
  run(line: string, options?: { env?: Record<string, string>; timeoutMs?: number }): Promise<ShellResult>;
}

export function project(prefix = 'e2e-'): Project {
  const dir = tempDir(prefix);
  const bin = join(dir, '.bin');
  mkdirSync(bin);
  symlinkSync(BIN, join(bin, 'agentctl'));
  // Contexts live in the project's own config home: never the real ~/.config of whoever runs the tests.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NO_COLOR: '1',
    PATH: `${bin}:${process.env.PATH ?? ''}`,
    XDG_CONFIG_HOME: join(dir, '.config'),
  };
  for (const key of Object.keys(env)) if (key.startsWith('AGENTCTL_')) delete env[key];
  const start = (line: string, extraEnv: Record<string, string> = {}): Running => {
    // `detached` gives the shell its own process group, so a signal can reach the whole pipeline.
    const child = spawn('bash', ['-c', line], { cwd: dir, env: { ...env, ...extraEnv }, detached: true });
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const done = new Promise<ShellResult>((resolveDone) => {
      child.on('close', (code, signal) =>
        resolveDone({ code, signal, stdout: out, stderr: err, output: `${out}\n${err}` }),
      );
    });
    return { child, done, stdout: () => out, stderr: () => err };
  };
  return {
    dir,
    env,
    start,
    async run(line, options = {}) {
      const running = start(line, options.env);
      const timer = setTimeout(() => killGroup(running.child, 'SIGKILL'), options.timeoutMs ?? 60_000);
      try {
        return await running.done;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Sends a signal to a started command's process group (the shell and what it runs). */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

export async function until(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await delay(50);
  }
}

/** Expects a command to have ended with `code`, showing its output when it did not. */
export function expectExit(result: ShellResult, code: number): void {
  expect({ code: result.code, output: result.output }).toMatchObject({ code });
}

const examples = new Set(readmeExamples().map((e) => e.text));

/**
 * Declares the README scenarios a test file covers. `readme(text)` returns an example's text for a test
 * to run, after checking that it is in the README and in the coverage table under one of these
 * scenarios; after the file, every example the table gives to these scenarios must have been asked for
 * (unless its scenario was skipped because a service did not answer).
 */
export function scenarios(...covered: Scenario[]): {
  readme(text: string): string;
  skip(scenario: Scenario): void;
} {
  const asked = new Set<string>();
  const skipped = new Set<Scenario>();
  afterAll(() => {
    const missing = Object.entries(COVERAGE)
      .filter(([, c]) => c.status !== 'not run' && covered.includes(c.scenario) && !skipped.has(c.scenario))
      .map(([text]) => text)
      .filter((text) => !asked.has(text));
    expect(missing, 'README examples this file should run but did not').toEqual([]);
  });
  return {
    readme(text) {
      expect(examples.has(text), `not a README example: ${text}`).toBe(true);
      const entry = COVERAGE[text];
      expect(entry, `not in the coverage table: ${text}`).toBeDefined();
      expect(covered, `coverage table gives "${text}" to another scenario`).toContain(entry!.scenario);
      asked.add(text);
      return text;
    },
    skip(scenario) {
      skipped.add(scenario);
    },
  };
}

/**
 * `it` for a test of README example `text`, or `it.fails` when the coverage table lists the example as a
 * known failure of agentctl: the test still asserts what the README says, and starts failing (so the
 * entry gets removed) once agentctl does it.
 */
export function itFor(text: string): typeof it | typeof it.fails {
  return text in KNOWN_FAILURES ? it.fails : it;
}
