/**
 * Issue 12's scenarios that no other test file covers. Already covered elsewhere (not repeated here):
 * - signals: one SIGINT drains (consume.test.ts here; test/kinesis/kinesis-unreachable.test.ts while a
 *   source call hangs), a second SIGINT/SIGTERM ends within 2 s while a step hangs
 *   (test/cli/stop-signals.test.ts);
 * - exit codes of each command: test/commands/*.test.ts; the README examples here assert theirs.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { orderEvents } from './fixtures.js';
import { expectExit, project } from './support.js';

describe('credentials in every URI kind are never printed', () => {
  it.each([
    [
      'an AMQP source',
      'agentctl consume --until-empty --source "amqp://agent:s3cret@127.0.0.1:1/vh?queue=q"',
      1,
    ],
    ['a PostgreSQL store', 'agentctl status --db "postgres://agent:s3cret@127.0.0.1:1/agents"', 1],
    [
      'a Kinesis endpoint',
      'agentctl consume --until-empty --source "kinesis://s?region=us-east-1&endpoint=http://ak:s3cret@127.0.0.1:1"',
      1,
    ],
    [
      'an AMQP sink',
      'agentctl publish --type t --data {} --source "amqp://agent:s3cret@127.0.0.1:1/?queue=q"',
      1,
    ],
  ] as const)(
    'Given %s with a password that cannot be reached, Then the error names it redacted (also with --verbose and --json)',
    async (_, line, code) => {
      const p = project('e2e-creds-');
      for (const extra of ['', ' --verbose', ' --json']) {
        const run = await p.run(`${line}${extra}`, { timeoutMs: 60_000 });
        expectExit(run, code);
        expect(run.output).not.toContain('s3cret');
        expect(run.stderr).toContain('***@');
      }
    },
  );
});

describe('credentials in errors are never stored', () => {
  it('Given a step that fails with a URL holding a password in its message, Then neither the store nor any output holds the password', async () => {
    const p = project('e2e-stored-creds-');
    writeFileSync(
      join(p.dir, 'agentctl.config.ts'),
      `import { defineAgent, defineProcess, rule } from 'agentctl';
export default defineAgent({
  name: 'orders',
  source: 'local:orders',
  rules: [rule({ name: 'bill', on: 'order.paid', process: 'billing' })],
  processes: [
    defineProcess({
      name: 'billing',
      retry: { maxRetries: 0 },
      steps: [{ name: 'charge', run: () => { throw new Error('POST https://svc:p4ssw0rd@billing.internal/charge?api_key=k3y failed'); } }],
    }),
  ],
  consumer: { poisonLimit: { maxConsecutive: 1000 } },
});
`,
    );
    writeFileSync(join(p.dir, 'events.ndjson'), orderEvents(3));
    const run = await p.run(
      'agentctl publish --file events.ndjson && agentctl consume --until-empty; agentctl failed list --json && agentctl failed show 1 && agentctl status --json',
    );
    expect(run.output).toContain('https://***@billing.internal/charge?api_key=***');
    expect(run.output).not.toMatch(/p4ssw0rd|k3y/);
    for (const file of ['agent.db', 'agent.db-wal']) {
      const path = join(p.dir, '.agentctl', file);
      if (!existsSync(path)) continue;
      const bytes = readFileSync(path).toString('latin1');
      expect({ file, leaks: /p4ssw0rd|k3y/.test(bytes) }).toEqual({ file, leaks: false });
    }
  });
});

describe('file modes', () => {
  it('Given a umask of 077, Then the state store and an export are private to the user', async () => {
    const p = project('e2e-modes-');
    const run = await p.run(
      'umask 077 && agentctl init && agentctl publish --file events.ndjson --raw && agentctl consume --until-empty && agentctl failed export --format ndjson > failed.ndjson',
    );
    expectExit(run, 0);
    for (const file of ['.agentctl', '.agentctl/agent.db', 'failed.ndjson']) {
      expect({ file, mode: (statSync(join(p.dir, file)).mode & 0o077).toString(8) }).toEqual({
        file,
        mode: '0',
      });
    }
  });

  it('Given a umask of 077, Then the files `agentctl init` writes follow it', async () => {
    const p = project('e2e-modes-init-');
    expectExit(await p.run('umask 077 && agentctl init'), 0);
    for (const file of ['agentctl.config.ts', 'events.ndjson']) {
      expect({ file, mode: (statSync(join(p.dir, file)).mode & 0o077).toString(8) }).toEqual({
        file,
        mode: '0',
      });
    }
  });
});
