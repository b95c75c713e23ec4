// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} placeholders are what contexts hold, not templates
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CheckpointRow } from '../../src/core/ops/checkpoint-list.js';
import { agentctl } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

/** An agent directory (config: store file.db, source local:file-topic) and its own XDG_CONFIG_HOME. */
function givenAnAgent() {
  const dir = tempDir('context-');
  writeFileSync(
    join(dir, 'agentctl.config.json'),
    JSON.stringify({ name: 'orders', store: 'file.db', source: 'local:file-topic' }),
  );
  const xdg = join(dir, 'xdg');
  const run = (args: readonly string[], env: Record<string, string> = {}) =>
    agentctl(args, { cwd: dir, env: { XDG_CONFIG_HOME: xdg, ...env } });
  return { dir, xdg, run };
}

function ok(result: ReturnType<typeof agentctl>) {
  expect(result.code, result.stderr).toBe(0);
  return result;
}

describe('agentctl context', () => {
  it('adds, uses, lists, shows and removes contexts in $XDG_CONFIG_HOME, 0600 in 0700', () => {
    const { dir, xdg, run } = givenAnAgent();
    ok(
      run(['context', 'add', 'staging', '--source', 'amqp://app:${MQ_PW}@mq/v?queue=q', '--db', 'stage.db']),
    );
    ok(
      run(['context', 'add', 'prod', '--db', 'postgres://agentctl@db/agents', '--readonly', '--production']),
    );
    const file = join(xdg, 'agentctl', 'contexts.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(xdg, 'agentctl')).mode & 0o777).toBe(0o700);
    expect(ok(run(['context', 'use', 'staging'])).stdout).toContain('current context: staging');
    const list = ok(run(['context', 'list']));
    expect(list.stdout).toMatch(/^\*\s+staging\s+amqp:\/\/\*\*\*@mq\/v\?queue=q/m);
    expect(list.stdout).toMatch(/^\s+prod\s.*read-only,production/m);
    const json = ok(run(['context', 'list', '--json'])).json<
      { name: string; current: boolean; db?: string }[]
    >();
    expect(json.map((c) => [c.name, c.current])).toEqual([
      ['prod', false],
      ['staging', true],
    ]);
    expect(json[1]?.db).toBe(join(dir, 'stage.db'));
    expect(ok(run(['context', 'show'])).stdout).toContain('secrets    from MQ_PW');
    expect(ok(run(['context', 'show', 'prod', '--json'])).json()).toMatchObject({
      production: true,
      readonly: true,
    });
    ok(run(['context', 'remove', 'staging']));
    expect(ok(run(['context', 'list', '--json'])).json<unknown[]>()).toHaveLength(1);
    expect(readFileSync(file, 'utf8')).not.toContain('"current"');
  });

  it('refuses a password in clear (exit 2), and a context that does not exist', () => {
    const { xdg, run } = givenAnAgent();
    const add = run(['context', 'add', 'p', '--source', 'amqp://app:s3cret@mq/v?queue=q']);
    expect(add.code).toBe(2);
    expect(add.stderr).toContain(
      'error: context "p": --source holds a password in clear; contexts store no secrets',
    );
    expect(add.stderr).toContain('in place of the secret');
    expect(add.stderr).not.toContain('s3cret');
    expect(existsSync(join(xdg, 'agentctl', 'contexts.json'))).toBe(false);
    const unknown = run(['status', '--context', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('error: no context "nope"');
  });

  it('precedence: flag > env > context > config file', () => {
    const { dir, run } = givenAnAgent();
    ok(run(['context', 'add', 'ctx', '--db', 'ctx.db', '--source', 'local:ctx-topic']));
    const target = (args: string[], env: Record<string, string> = {}) =>
      ok(run(['publish', '--type', 'a.b', '--json', ...args], env)).json<{ target: string }>().target;
    // The config file alone.
    expect(target([])).toBe('local:file-topic');
    expect(existsSync(join(dir, 'file.db'))).toBe(true);
    // The context over the config file: by --context, by AGENTCTL_CONTEXT, as the current one.
    expect(target(['--context', 'ctx'])).toBe('local:ctx-topic');
    expect(existsSync(join(dir, 'ctx.db'))).toBe(true);
    expect(target([], { AGENTCTL_CONTEXT: 'ctx' })).toBe('local:ctx-topic');
    ok(run(['context', 'use', 'ctx']));
    expect(target([])).toBe('local:ctx-topic');
    // The environment over the context, the flag over the environment.
    expect(target([], { AGENTCTL_SOURCE: 'local:env-topic', AGENTCTL_DB: 'env.db' })).toBe('local:env-topic');
    expect(existsSync(join(dir, 'env.db'))).toBe(true);
    expect(
      target(['--source', 'local:flag-topic', '--db', 'flag.db'], { AGENTCTL_SOURCE: 'local:env-topic' }),
    ).toBe('local:flag-topic');
    expect(existsSync(join(dir, 'flag.db'))).toBe(true);
    ok(run(['context', 'use', '--none']));
    expect(target([])).toBe('local:file-topic');
  });

  it('a read-only context refuses replay and checkpoint set --execute with exit 2, before doing anything; a plan runs', () => {
    const { dir, run } = givenAnAgent();
    ok(run(['publish', '--type', 'a.b', '--db', 'ro.db']));
    ok(run(['context', 'add', 'look', '--db', 'ro.db', '--readonly']));
    ok(run(['context', 'add', 'look-new', '--db', 'never.db', '--readonly']));
    ok(run(['context', 'use', 'look']));
    const set = run(['checkpoint', 'set', '--partition', '0', '--position', '0', '--execute', '--yes']);
    expect(set.code).toBe(2);
    expect(set.stderr).toContain(
      'error: context "look" is read-only: agentctl checkpoint set --execute moves checkpoints; refused, nothing was done',
    );
    expect(ok(run(['checkpoint', 'set', '--partition', '0', '--position', '0'])).stdout).toContain(
      'nothing was changed',
    );
    const rows = ok(run(['checkpoint', 'list', '--json'])).json<CheckpointRow[]>();
    expect(rows.find((r) => r.partition === '0')?.position).toBeUndefined();
    const replay = run(['replay', '--failed', '--yes', '--context', 'look-new']);
    expect(replay.code).toBe(2);
    expect(replay.stderr).toContain('error: context "look-new" is read-only: agentctl replay');
    expect(replay.stderr).toContain('try: name another context with --context NAME');
    // Not even the store was created.
    expect(existsSync(join(dir, 'never.db'))).toBe(false);
    // Looking goes on.
    ok(run(['status']));
  });

  it('a production context confirms as usual without a terminal: refused, unless --yes', () => {
    const { run } = givenAnAgent();
    ok(run(['publish', '--type', 'a.b', '--db', 'p.db']));
    ok(run(['context', 'add', 'prod', '--db', 'p.db', '--production']));
    const asked = run([
      'checkpoint',
      'set',
      '--partition',
      '0',
      '--position',
      '0',
      '--context',
      'prod',
      '--execute',
    ]);
    expect(asked.code).toBe(2);
    expect(asked.stderr).toContain('not confirmed: stdin is not a terminal');
    ok(
      run([
        'checkpoint',
        'set',
        '--partition',
        '0',
        '--position',
        '0',
        '--context',
        'prod',
        '--execute',
        '--yes',
      ]),
    );
    const rows = ok(run(['checkpoint', 'list', '--json', '--context', 'prod'])).json<CheckpointRow[]>();
    expect(rows.find((r) => r.partition === '0')?.position).toBe('0');
  });
});
