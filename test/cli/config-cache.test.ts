import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentctl, writeConfig } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

/**
 * A `.ts` config is transpiled once and cached in the user's cache directory, keyed by its content: the
 * same config in another directory (a copied project, a fresh checkout) does not pay for the transform
 * again, and a config that reads `import.meta` still sees its own file.
 */
describe('the transpiled config cache', () => {
  const config = `{
    name: 'orders',
    rules: [rule({ name: new URL('.', import.meta.url).pathname.split('/').at(-2) ?? 'none', on: 'order.paid', process: 'bill' })],
    processes: [defineProcess({ name: 'bill', steps: [{ name: 'charge', run: async () => 1 }] })],
  }`;

  function project(root: string, name: string, body: string): string {
    const dir = join(root, name);
    mkdirSync(dir);
    writeConfig(dir, body);
    return dir;
  }

  function rulesIn(dir: string, cache: string): string[] {
    const run = agentctl(['rules', 'list', '--json'], { cwd: dir, env: { XDG_CACHE_HOME: cache } });
    expect(run.code, run.stderr).toBe(0);
    return (run.json() as { name: string }[]).map((r) => r.name);
  }

  const cached = (cache: string) => readdirSync(join(cache, 'agentctl', 'config')).sort();

  it('Given the same config in two directories, When a command runs in each, Then it is transpiled once, into a private file', () => {
    const root = tempDir('config-cache-');
    const cache = join(root, 'cache');
    const plain = `{ name: 'orders', rules: [rule({ name: 'paid', on: 'order.paid', process: 'bill' })], processes: [defineProcess({ name: 'bill', steps: [{ name: 'charge', run: async () => 1 }] })] }`;

    expect(rulesIn(project(root, 'first', plain), cache)).toEqual(['paid']);
    const afterFirst = cached(cache);
    expect(rulesIn(project(root, 'second', plain), cache)).toEqual(['paid']);

    expect(afterFirst).toHaveLength(1);
    expect(cached(cache)).toEqual(afterFirst);
    expect((statSync(join(cache, 'agentctl', 'config', afterFirst[0]!)).mode & 0o777).toString(8)).toBe(
      '600',
    );
  });

  it('Given a config that reads import.meta in two directories, When a command runs in each, Then each sees its own file', () => {
    const root = tempDir('config-cache-');
    const cache = join(root, 'cache');

    expect(rulesIn(project(root, 'east', config), cache)).toEqual(['east']);
    expect(rulesIn(project(root, 'west', config), cache)).toEqual(['west']);
    expect(rulesIn(join(root, 'east'), cache)).toEqual(['east']);
    expect(cached(cache)).toHaveLength(2);
  });
});
