import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface AgentChild {
  readonly process: ChildProcess;
  /** Resolves once the child printed `started`, or ended before. */
  readonly started: Promise<void>;
  readonly exited: Promise<Exit>;
}

/**
 * Runs a TypeScript fixture (`script`, through jiti) as a child process from the repository root, for
 * tests that kill agents: the child prints `started` when it consumes; it is SIGKILLed when the test
 * ends if it still runs.
 */
export function startAgentChild(script: string, args: readonly string[]): AgentChild {
  const child = spawn(process.execPath, ['--import', 'jiti/register', script, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  let markStarted: () => void = () => {};
  const started = new Promise<void>((resolve) => {
    markStarted = resolve;
  });
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.startsWith('started\n')) markStarted();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<Exit>((resolve) => {
    // `close`, not `exit`: it comes after the output pipes are read to their end.
    child.on('close', (code, signal) => {
      markStarted();
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { process: child, started, exited };
}
