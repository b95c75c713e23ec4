import { expect } from 'vitest';
import { startAgentctl } from './cli.js';

/**
 * Starts `agentctl consume --metrics-port 0 --json` in `dir` and waits until it says where its metrics
 * are served: the running CLI and the `/metrics` URL.
 */
export async function startMeteredAgent(dir: string) {
  const run = startAgentctl(['consume', '--metrics-port', '0', '--metrics-host', '127.0.0.1', '--json'], {
    cwd: dir,
  });
  const line = () =>
    run
      .stdout()
      .split('\n')
      .find((l) => l.includes('"type":"metrics"'));
  await expect.poll(() => line() !== undefined, { timeout: 15_000 }).toBe(true);
  return { run, url: JSON.parse(line()!).url as string };
}
