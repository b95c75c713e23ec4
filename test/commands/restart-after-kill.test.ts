import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { agentctl, startAgentctl, writeConfig } from '../support/cli.js';
import { effectRecordSource, readEffectRecords } from '../support/effect-log.js';
import { tempDir } from '../support/temp.js';

const N = 400;

/** An agent on the embedded log (4 partitions) whose effect, outside agentctl, is a line per event id. */
function agentDir(): string {
  const dir = tempDir('restart-');
  writeConfig(
    dir,
    `{
      name: 'orders',
      source: 'local:events',
      publisher: { sink: 'none' },
      consumer: { localPartitions: 4 },
      rules: [rule({ name: 'r', on: 'tick', process: 'p' })],
      processes: [defineProcess({ name: 'p', steps: [{ name: 's', run: async ({ event }) => {
        await new Promise((resolve) => setTimeout(resolve, 10));
        appendFileSync(join(${JSON.stringify(dir)}, 'effects.log'), ${effectRecordSource('event.id')});
      } }] })],
    }`,
    "import { appendFileSync } from 'node:fs';\nimport { join } from 'node:path';",
  );
  const line = (i: number) =>
    JSON.stringify({ specversion: '1.0', id: `t${i}`, source: 'test', type: 'tick', subject: `k${i}` });
  writeFileSync(join(dir, 'events.ndjson'), `${Array.from({ length: N }, (_, i) => line(i)).join('\n')}\n`);
  const published = agentctl(['publish', '--file', 'events.ndjson'], { cwd: dir });
  expect(published.code, published.stderr).toBe(0);
  return dir;
}

function effects(dir: string): Set<string> {
  const path = join(dir, 'effects.log');
  return new Set(readEffectRecords(path));
}

describe('consume restarted after kill -9', () => {
  it('Given an agent killed with SIGKILL while it held every partition, When it is restarted on the same host with --until-empty, Then it takes the dead agent’s partitions at once (its pid is gone) and processes everything, instead of stopping empty or waiting for the leases to expire', async () => {
    const dir = agentDir();
    const first = startAgentctl(['consume', '--json'], { cwd: dir });
    onTestFinished(() => {
      if (first.child.exitCode === null) first.child.kill('SIGKILL');
    });
    await expect.poll(() => effects(dir).size, { timeout: 30_000, interval: 50 }).toBeGreaterThanOrEqual(40);
    first.child.kill('SIGKILL');
    await first.done;
    expect(effects(dir).size).toBeLessThan(N);

    const started = Date.now();
    const restarted = agentctl(['consume', '--until-empty', '--json'], { cwd: dir, timeoutMs: 60_000 });
    const tookMs = Date.now() - started;

    expect(restarted.code, restarted.stderr).toBe(0);
    const summary = restarted.lines<{ type: string; read: number; stoppedBy: string }>().at(-1)!;
    expect(summary).toMatchObject({ type: 'summary', stoppedBy: 'empty' });
    expect(summary.read).toBeGreaterThan(0);
    expect(effects(dir).size).toBe(N);
    // The default lease lives 10 s: taking over at once leaves the run far shorter than that wait.
    expect(tookMs).toBeLessThan(8_000);
  }, 90_000);
});
