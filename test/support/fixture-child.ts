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

export interface FixtureChild {
  readonly process: ChildProcess;
  /** Resolves once the child printed its ready line as its first output, or ended before. */
  readonly ready: Promise<void>;
  readonly exited: Promise<Exit>;
}

export interface AgentChild {
  readonly process: ChildProcess;
  /** Resolves once the child printed `started`, or ended before. */
  readonly started: Promise<void>;
  readonly exited: Promise<Exit>;
}

/**
 * Runs a TypeScript fixture (`script`, through jiti) as a child process from the repository root. The
 * child announces that it is loaded by printing `readyLine` first; its stdin is a pipe when `stdin` says
 * so (for children told when to start). It is SIGKILLed when the test ends if it still runs.
 */
export function startFixtureChild(
  script: string,
  args: readonly string[],
  readyLine: string,
  stdin: 'pipe' | 'ignore' = 'ignore',
): FixtureChild {
  const child = spawn(process.execPath, ['--import', 'jiti/register', script, ...args], {
    cwd: ROOT,
    stdio: [stdin, 'pipe', 'pipe'],
  });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.startsWith(`${readyLine}\n`)) markReady();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<Exit>((resolve) => {
    // `close`, not `exit`: it comes after the output pipes are read to their end.
    child.on('close', (code, signal) => {
      markReady();
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { process: child, ready, exited };
}

/** A child agent for tests that kill agents: it prints `started` when it consumes. */
export function startAgentChild(script: string, args: readonly string[]): AgentChild {
  const { process, ready, exited } = startFixtureChild(script, args, 'started');
  return { process, started: ready, exited };
}
