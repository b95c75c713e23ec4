import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentctl, writeConfig } from '../support/cli.js';
import { loadedBy, transportDrivers } from '../support/loaded-modules.js';
import { tempDir } from '../support/temp.js';

/**
 * What one `agentctl` process loads before it does anything. Every command validates its config with
 * zod, whose entry point is ~100 files that Node would resolve, read and compile one by one: the build
 * bundles it into dist/core/vendor/zod.js (scripts/bundle-vendor.js). oclif and what it requires (~100
 * CommonJS files) are bundled the same way into dist/cli/vendor/oclif.js (scripts/bundle-oclif.js), from
 * the parts the commands use (`@oclif/core/flags`, `/args`, `/command`, …), not its index. These tests watch
 * the modules a real CLI process resolves (ESM through a module hook, CommonJS through the resolver),
 * set up by NODE_OPTIONS.
 */
describe('agentctl start', () => {
  it('Given a config with a mistake, When a command loads it, Then zod checks it from one bundled module, not from its ~100 files', () => {
    const dir = tempDir();
    writeConfig(dir, `{ name: 'orders', rules: [], consumer: { pollMax: -1 } }`);
    const { run, urls } = loadedBy(['rules', 'list'], dir);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain('consumer.pollMax');
    expect(urls.some((u) => u.endsWith('/dist/core/vendor/zod.js'))).toBe(true);
    expect(urls.filter((u) => u.includes('/node_modules/zod/'))).toEqual([]);
  });

  it("Then the bundled zod holds the members the code uses, without the ~40 locales of zod's `z` namespace", () => {
    const bundle = readFileSync(join(import.meta.dirname, '../../dist/core/vendor/zod.js'), 'utf8');
    expect(bundle).toMatch(/^\/\* zod members: .*\bobject\b.*\bstring\b/);
    // zod's German locale ("Ungültige Eingabe"); English, the default, stays.
    expect(bundle).not.toContain('Ungültig');
    expect(bundle.length).toBeLessThan(150_000);
  });

  it("Then every member the bundled zod was made with is one of zod's own (the minified oclif bundle's `z.pop` is not)", async () => {
    const bundle = readFileSync(join(import.meta.dirname, '../../dist/core/vendor/zod.js'), 'utf8');
    const members = /^\/\* zod members: (.*) \*\//.exec(bundle)?.[1]?.split(' ') ?? [];
    const { z } = await import('zod');
    expect(members.length).toBeGreaterThan(0);
    expect(members.filter((name) => !(name in z))).toEqual([]);
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

  it('When a command runs, Then it loads oclif from one bundled module, none of its own files and nothing behind them (semver, minimatch, ejs, …)', () => {
    const dir = tempDir();
    const { run, urls } = loadedBy(['failed', 'list', '--db', join(dir, 'none.db')], dir);
    expect(run.stderr).toContain('no state store');
    expect(urls.some((u) => u.endsWith('/dist/cli/vendor/oclif.js'))).toBe(true);
    expect(
      urls.filter((u) => /\/node_modules\/(@oclif\/core|semver|minimatch|ejs|debug|tinyglobby)\//.test(u)),
    ).toEqual([]);
  });

  it('When a command runs with a TypeScript config, Then jiti is required, not imported (Node would scan its 190 kB for named exports)', () => {
    const dir = tempDir();
    writeConfig(dir, `{ name: 'orders', rules: [] }`);
    const { run, urls } = loadedBy(['rules', 'list', '--json'], dir);
    expect(run.code, run.stderr).toBe(0);
    expect(urls.some((u) => u.endsWith('/node_modules/jiti/lib/jiti.cjs'))).toBe(true);
    expect(urls.filter((u) => u.endsWith('/node_modules/jiti/lib/jiti.mjs'))).toEqual([]);
  });

  it('When describe shows the local log, Then neither the AWS SDK nor amqplib is loaded (only a kinesis:// or amqp:// source needs one)', () => {
    const dir = tempDir();
    writeConfig(dir, `{ name: 'orders', source: 'local:orders' }`);
    expect(agentctl(['publish', '--type', 'order.paid', '--data', '{}'], { cwd: dir }).code).toBe(0);
    const { run, urls } = loadedBy(['describe', '--json'], dir);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.stringify(run.json())).toContain('local:orders');
    expect(transportDrivers(urls)).toEqual([]);
  });

  it('When doctor checks an agent on the local log, Then the AWS SDK is not loaded (only a kinesis:// source or sink needs it)', () => {
    const dir = tempDir();
    writeConfig(dir, `{ name: 'orders', source: 'local:orders' }`);
    expect(agentctl(['publish', '--type', 'order.paid', '--data', '{}'], { cwd: dir }).code).toBe(0);
    const { run, urls } = loadedBy(['doctor', '--json'], dir);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json()).toMatchObject({ ok: true });
    expect(transportDrivers(urls)).toEqual([]);
  });

  it('Given no config file, When a store command runs, Then zod and the config schema are not loaded (nothing to validate)', () => {
    const dir = tempDir();
    expect(agentctl(['publish', '--type', 'order.paid', '--data', '{}'], { cwd: dir }).code).toBe(0);
    const { run, urls } = loadedBy(['failed', 'list', '--json'], dir);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json()).toEqual([]);
    expect(urls.filter((u) => /\/dist\/core\/(vendor\/zod|config\/config-schema)\.js$/.test(u))).toEqual([]);
  });
});
