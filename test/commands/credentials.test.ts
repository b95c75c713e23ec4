import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentctl, type CliResult } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

const SECRET = 'S3cr3tT0ken';
/** Where the userinfo was, plain or percent-encoded. */
const REDACTED = /\*\*\*(?:@|%40)127\.0\.0\.1/;

/** A local port nothing listens on (taken, then released). */
async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Every byte agentctl wrote: the outputs and the store files. */
function everythingWritten(dir: string, results: readonly CliResult[]): string {
  const files = ['agent.db', 'agent.db-wal', 'agent.db-shm']
    .map((name) => join(dir, '.agentctl', name))
    .filter((path) => existsSync(path))
    .map((path) => readFileSync(path).toString('latin1'));
  return [...results.flatMap((r) => [r.stdout, r.stderr]), ...files].join('\n');
}

describe('a credential given in a source URI never shows in output or in the store', () => {
  const sources: readonly [string, (port: number) => string][] = [
    [
      'an AMQP URI with the token as its user',
      (port) => `amqp://${SECRET}@127.0.0.1:${port}/vh?queue=orders`,
    ],
    [
      'an AMQP URI with user and password',
      (port) => `amqp://agent:${SECRET}@127.0.0.1:${port}/vh?queue=orders`,
    ],
    [
      'a Kinesis endpoint with the key as its user',
      (port) => `kinesis://orders?region=us-east-1&endpoint=http://${SECRET}@127.0.0.1:${port}`,
    ],
    [
      'a Kinesis endpoint with key and secret, percent-encoded',
      (port) =>
        `kinesis://orders?region=us-east-1&endpoint=${encodeURIComponent(`http://AKIAKEY:${SECRET}@127.0.0.1:${port}`)}`,
    ],
  ];

  it.each(sources)(
    'Given %s that cannot be reached, When consume fails and status is asked, Then the secret is nowhere',
    async (_, uriAt) => {
      const dir = tempDir('credentials-');
      const uri = uriAt(await unusedPort());
      const run = (args: string[]) => agentctl(args, { cwd: dir, timeoutMs: 60_000 });

      const consumed = [
        run(['consume', '--source', uri, '--until-empty']),
        run(['consume', '--source', uri, '--until-empty', '--json']),
        run(['consume', '--source', uri, '--until-empty', '--verbose']),
      ];
      const status = run(['status']);
      const statusJson = run(['status', '--json']);
      const looked = [status, statusJson, run(['failed', 'list']), run(['failed', 'list', '--json'])];

      for (const c of consumed) expect(c.code).not.toBe(0);
      expect(consumed[0]!.stderr).toMatch(REDACTED);
      const agents = statusJson.json<{ agents: { source: string; lastError?: string }[] }>().agents;
      expect(agents.length).toBeGreaterThan(0);
      expect(agents[0]!.source).toMatch(REDACTED);
      expect(agents.some((a) => REDACTED.test(a.lastError ?? ''))).toBe(true);
      const written = everythingWritten(dir, [...consumed, ...looked]);
      expect(written.split(SECRET).length - 1).toBe(0);
    },
  );
});
