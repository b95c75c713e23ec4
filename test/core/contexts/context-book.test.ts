// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} placeholders are what contexts hold, not templates
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ContextBook } from '../../../src/core/contexts/context-book.js';
import { expandPlaceholders, secretsInClear } from '../../../src/core/contexts/context-secrets.js';
import { contextsPath } from '../../../src/core/contexts/contexts-file.js';
import { tempDir } from '../../support/temp.js';

function book(): { book: ContextBook; dir: string; path: string } {
  const dir = tempDir('contexts-');
  const path = contextsPath({ XDG_CONFIG_HOME: join(dir, 'xdg') });
  return { book: new ContextBook(path), dir, path };
}

describe('ContextBook', () => {
  it('lives in $XDG_CONFIG_HOME/agentctl/contexts.json, else ~/.config', () => {
    expect(contextsPath({ XDG_CONFIG_HOME: '/x' })).toBe('/x/agentctl/contexts.json');
    expect(contextsPath({ HOME: process.env.HOME })).toMatch(/\.config\/agentctl\/contexts\.json$/);
  });

  it('adds, uses, lists and removes contexts; the file 0600 in a 0700 directory', () => {
    const { book: contexts, dir, path } = book();
    contexts.add('staging', { source: 'local:orders', db: 'agent.db', readonly: true }, { cwd: dir });
    contexts.add('prod', { db: 'postgres://agentctl@db/agents', production: true }, { cwd: dir });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'xdg', 'agentctl')).mode & 0o777).toBe(0o700);
    expect(contexts.list().map((c) => [c.name, c.current])).toEqual([
      ['prod', false],
      ['staging', false],
    ]);
    contexts.use('staging');
    expect(contexts.current()).toBe('staging');
    expect(contexts.list().find((c) => c.name === 'staging')).toMatchObject({
      current: true,
      readonly: true,
      production: false,
      db: join(dir, 'agent.db'),
    });
    contexts.remove('staging');
    expect(contexts.current()).toBeUndefined();
    expect(contexts.list().map((c) => c.name)).toEqual(['prod']);
    contexts.use('prod');
    contexts.use(undefined);
    expect(contexts.current()).toBeUndefined();
  });

  it('refuses a bad name, a duplicate (unless replace), an empty context, an unknown name', () => {
    const { book: contexts, dir } = book();
    expect(() => contexts.add('no way', { source: 'local:' }, { cwd: dir })).toThrow(/letters, digits/);
    contexts.add('a', { source: 'local:' }, { cwd: dir });
    expect(() => contexts.add('a', { source: 'local:x' }, { cwd: dir })).toThrow(/exists already/);
    expect(contexts.add('a', { source: 'local:x' }, { cwd: dir, replace: true }).source).toBe('local:x');
    expect(() => contexts.add('b', { readonly: true }, { cwd: dir })).toThrow(/sets nothing/);
    expect(() => contexts.use('nope')).toThrow(/no context "nope".*\n?/);
    expect(() => contexts.get('nope')).toThrow(
      expect.objectContaining({ hint: expect.stringContaining('a') }),
    );
  });

  it('never stores a password in clear: refused, and a ${VAR} placeholder is kept as written', () => {
    const { book: contexts, dir, path } = book();
    expect(() => contexts.add('p', { source: 'amqp://app:s3cret@mq/v?queue=q' }, { cwd: dir })).toThrow(
      /--source holds a password in clear/,
    );
    expect(() =>
      contexts.add('p', { sink: 'kinesis://s?region=r&endpoint=http://KEY:SECRET@h' }, { cwd: dir }),
    ).toThrow(/--sink holds a password/);
    expect(() => contexts.add('p', { db: 'postgres://u@db/x?password=pw' }, { cwd: dir })).toThrow(
      /the value of password/,
    );
    const view = contexts.add('p', { source: 'amqp://app:${MQ_PW}@mq/v?queue=q' }, { cwd: dir });
    expect(view.source).toBe('amqp://***@mq/v?queue=q');
    expect(view.secretsFrom).toEqual(['MQ_PW']);
    expect(readFileSync(path, 'utf8')).toContain('amqp://app:${MQ_PW}@mq/v?queue=q');
    expect(readFileSync(path, 'utf8')).not.toContain('s3cret');
  });

  it('makes relative store, config and file: paths absolute', () => {
    const { book: contexts, dir } = book();
    writeFileSync(join(dir, 'agentctl.config.json'), '{"name":"x"}');
    const view = contexts.add(
      'local',
      { db: 'state/agent.db', config: 'agentctl.config.json', source: 'file:events.ndjson' },
      { cwd: dir },
    );
    expect(view).toMatchObject({
      db: join(dir, 'state/agent.db'),
      config: join(dir, 'agentctl.config.json'),
      source: `file:${join(dir, 'events.ndjson')}`,
    });
    expect(() => contexts.add('gone', { config: 'missing.ts' }, { cwd: dir })).toThrow(
      /config file not found/,
    );
  });

  it('refuses a contexts file that is not one', () => {
    const { book: contexts, dir, path } = book();
    contexts.add('a', { source: 'local:' }, { cwd: dir });
    writeFileSync(path, '{ nope');
    expect(() => contexts.list()).toThrow(/not valid JSON/);
    writeFileSync(path, '[]');
    expect(() => contexts.list()).toThrow(/not an agentctl contexts file/);
  });
});

describe('context secrets', () => {
  it('finds passwords and secret parameters in clear, not placeholders nor users alone', () => {
    expect(secretsInClear('amqp://guest:guest@h/')).toEqual(['a password']);
    expect(secretsInClear('amqp://guest@h/')).toEqual([]);
    expect(secretsInClear('amqp://guest:${PW}@h/')).toEqual([]);
    expect(secretsInClear('amqp://guest:x${PW}@h/')).toEqual(['a password']);
    expect(secretsInClear('kinesis://s?token=abc')).toEqual(['the value of token']);
    expect(secretsInClear('kinesis://s?token=${T}&region=r')).toEqual([]);
    expect(secretsInClear('local:')).toEqual([]);
  });

  it('fills placeholders from the environment, percent-encoded; a missing one names the variable', () => {
    const where = { context: 'prod', setting: 'source' };
    expect(expandPlaceholders('amqp://u:${PW}@h/', { PW: 'p@ss/w:rd' }, where)).toBe(
      'amqp://u:p%40ss%2Fw%3Ard@h/',
    );
    expect(() => expandPlaceholders('amqp://u:${PW}@h/', {}, where)).toThrow(
      'context "prod": source needs the environment variable PW, which is not set',
    );
  });
});
