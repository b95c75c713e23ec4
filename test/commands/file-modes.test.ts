import { spawnSync } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, writeConfig } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

/** Runs the CLI as a user whose umask is 022 (the common default: new files world-readable). */
function agentctlUmask022(args: readonly string[], cwd: string, env: Record<string, string> = {}) {
  const clean: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...env };
  for (const key of Object.keys(clean)) if (key.startsWith('AGENTCTL_')) delete clean[key];
  const run = spawnSync('sh', ['-c', 'umask 022; exec "$0" "$@"', process.execPath, BIN, ...args], {
    cwd,
    env: clean,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: run.status ?? -1, stdout: run.stdout, stderr: run.stderr };
}

function modeOf(path: string): string {
  return (statSync(path).mode & 0o777).toString(8);
}

function events(n: number): string {
  return Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      specversion: '1.0',
      id: `evt-${i + 1}`,
      type: 'order.created',
      source: 'shop',
      data: { n: i + 1, card: 'PAYLOAD-SECRET' },
    }),
  ).join('\n');
}

describe('files agentctl writes with events, payloads, results or a config are its owner’s alone', () => {
  it('Given umask 022, When events are published, consumed, parked, published to a file and exported, Then directories are 0700 and files 0600', () => {
    const dir = tempDir('file-modes-');
    writeConfig(
      dir,
      `{
        name: 'orders',
        publisher: { sink: 'file:results/out.ndjson' },
        rules: [rule({ name: 'ship-order', on: 'order.created', process: 'ship' })],
        processes: [
          defineProcess({
            name: 'ship',
            publish: true,
            steps: [{
              name: 'label',
              run: ({ event }) => {
                if (event.data.n % 2 === 0) throw new FatalError('no label for ' + event.id);
                return { parcel: event.id };
              },
            }],
          }),
        ],
      }`,
    );
    writeFileSync(join(dir, 'events.ndjson'), events(6));
    const env = { XDG_CACHE_HOME: join(dir, 'cache') };
    const cli = (args: string[]) => agentctlUmask022(args, dir, env);

    const steps = [
      cli(['publish', '--file', 'events.ndjson']),
      cli(['publish', '--file', 'events.ndjson', '--source', 'file:copies/events.ndjson']),
      cli(['consume', '--until-empty']),
      cli(['failed', 'export', '--output', 'failed.ndjson']),
    ];
    for (const step of steps) expect(step.code, step.stderr).toBe(0);
    expect(steps[3]!.stderr).toContain('exported 3 items');

    const store = join(dir, '.agentctl');
    expect(modeOf(store)).toBe('700');
    for (const file of ['agent.db', 'agent.db-wal', 'agent.db-shm']) {
      if (existsSync(join(store, file))) expect([file, modeOf(join(store, file))]).toEqual([file, '600']);
    }
    expect(existsSync(join(store, 'agent.db-wal'))).toBe(true);
    expect(modeOf(join(dir, 'failed.ndjson'))).toBe('600');
    expect(modeOf(join(dir, 'results'))).toBe('700');
    expect(modeOf(join(dir, 'results', 'out.ndjson'))).toBe('600');
    expect(modeOf(join(dir, 'copies'))).toBe('700');
    expect(modeOf(join(dir, 'copies', 'events.ndjson'))).toBe('600');
    // The transpiled config (it holds credentials) is cached in a directory of the user's alone.
    expect(modeOf(join(dir, 'cache', 'agentctl', 'config'))).toBe('700');
  });

  it('Given umask 022, When a worker opens its results outbox, Then the file is 0600 in a 0700 directory', () => {
    const dir = tempDir('file-modes-worker-');
    writeConfig(
      dir,
      `{
        name: 'orders',
        runner: { kind: 'queue', endpoint: 'modes', url: 'amqp://guest:guest@127.0.0.1:1' },
        rules: [],
        processes: [defineProcess({ name: 'ship', steps: [{ name: 'label', run: () => 1 }] })],
      }`,
    );

    const worker = agentctlUmask022(['worker', '--outbox', 'outbox/results.db'], dir, {
      XDG_CACHE_HOME: join(dir, 'cache'),
    });

    expect(worker.stderr).toContain('cannot reach RabbitMQ');
    expect(modeOf(join(dir, 'outbox'))).toBe('700');
    expect(modeOf(join(dir, 'outbox', 'results.db'))).toBe('600');
  });
});
