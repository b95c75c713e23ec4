import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openSqliteStore } from '../../src/core/store/sqlite/sqlite-state-store.js';
import { publish, submissionEvents } from '../core/agent/fixtures.js';
import { startAgentctl, writeConfig } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await delay(50);
  }
}

describe('a second stop signal', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)(
    'Given consume draining behind a step that never returns, When a second %s comes, Then the process ends within 2 s with exit code %i',
    async (signal, code) => {
      const dir = tempDir('stop-signals-');
      writeConfig(
        dir,
        `{
          name: 'orders',
          consumer: { heartbeatMs: 100, drainTimeoutMs: 600_000 },
          publisher: { sink: 'none' },
          rules: [rule({ name: 'hang', on: 'submission.created', process: 'hang' })],
          processes: [defineProcess({ name: 'hang', steps: [{ name: 'forever', run: () => {
            console.error('step started');
            return new Promise(() => setInterval(() => undefined, 1_000));
          } }] })],
        }`,
      );
      const store = await openSqliteStore({ path: join(dir, '.agentctl', 'agent.db') });
      await publish(store, submissionEvents(1));
      await store.close();
      const consume = startAgentctl(['consume'], { cwd: dir });
      onTestFinished(() => {
        if (consume.child.exitCode === null) consume.child.kill('SIGKILL');
      });
      await until('the step runs', () => consume.stderr().includes('step started'));
      consume.child.kill(signal);
      await until('the drain is under way', () => consume.stderr().includes(`${signal}: draining`));
      await delay(500);
      expect(consume.child.exitCode).toBeNull();

      const signalled = Date.now();
      consume.child.kill(signal);
      const exit = await consume.done;

      // The requirement is 2 s; 3 s leaves room for a loaded machine to schedule the dying process.
      expect(Date.now() - signalled).toBeLessThanOrEqual(3_000);
      expect(exit.code).toBe(code);
      expect(exit.stderr).toContain(`${signal}: terminating without waiting`);
    },
    60_000,
  );
});
