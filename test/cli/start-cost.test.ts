import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { agentctl, writeConfig } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

/**
 * What one `agentctl` process loads before it does anything: every command validates its config with
 * zod, and zod's entry point is ~100 files that Node would resolve, read and compile one by one. The build
 * bundles it into dist/core/vendor/zod.js (scripts/bundle-vendor.js); these tests watch the modules a real
 * CLI process resolves, through a module hook passed in NODE_OPTIONS.
 */
describe('agentctl start', () => {
  function loadedBy(args: readonly string[], dir: string) {
    const log = join(dir, 'resolved.log');
    const hook = join(dir, 'hook.mjs');
    writeFileSync(
      hook,
      `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(process.env.RESOLVED_LOG, resolved.url + '\\n');
  return resolved;
}\n`,
    );
    const register = join(dir, 'register.mjs');
    writeFileSync(
      register,
      `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hook).href)});\n`,
    );
    writeFileSync(log, '');
    const run = agentctl(args, {
      cwd: dir,
      env: { NODE_OPTIONS: `--import ${pathToFileURL(register).href}`, RESOLVED_LOG: log },
    });
    return { run, urls: readFileSync(log, 'utf8').split('\n').filter(Boolean) };
  }

  it('Given a config with a mistake, When a command loads it, Then zod checks it from one bundled module, not from its ~100 files', () => {
    const dir = tempDir();
    writeConfig(dir, `{ name: 'orders', rules: [], consumer: { pollMax: -1 } }`);
    const { run, urls } = loadedBy(['rules', 'list'], dir);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain('consumer.pollMax');
    expect(urls.some((u) => u.endsWith('/dist/core/vendor/zod.js'))).toBe(true);
    expect(urls.filter((u) => u.includes('/node_modules/zod/'))).toEqual([]);
  });

  it('Given a valid config, When rules list runs, Then it lists the rules with the bundled zod', () => {
    const dir = tempDir();
    writeConfig(
      dir,
      `{ name: 'orders', rules: [rule({ name: 'paid', on: 'order.paid', process: 'bill' })], processes: [defineProcess({ name: 'bill', steps: [{ name: 'charge', run: async () => 1 }] })] }`,
    );
    const { run, urls } = loadedBy(['rules', 'list', '--json'], dir);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.stringify(run.json())).toContain('paid');
    expect(urls.filter((u) => u.includes('/node_modules/zod/'))).toEqual([]);
  });
});
