import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentctl, writeConfig } from '../support/cli.js';
import { loadedBy, transportDrivers } from '../support/loaded-modules.js';
import { tempDir } from '../support/temp.js';

/**
 * A config needs `defineAgent`, `rule`, `defineProcess` and the error classes, not the engine: the CLI
 * loads it with `agentctl/config` (src/core/config/index.ts) where it imports only such names — from
 * `agentctl/config`, as `agentctl init` writes, or from `agentctl` — and the whole library only when it
 * uses more. Whichever entry, a class is one class: a step's `FatalError` is not retried.
 */
describe('the config entry', () => {
  const library = (urls: readonly string[]) => urls.filter((u) => u.endsWith('/dist/core/index.js'));
  const entry = (urls: readonly string[]) => urls.filter((u) => u.endsWith('/dist/core/config/index.js'));
  const bill = `processes: [defineProcess({ name: 'bill', steps: [{ name: 'charge', run: () => 1 }] })]`;

  it('Given a directory made by `agentctl init`, When a command loads its config, Then it loads agentctl/config, not the library nor any transport driver', () => {
    const dir = tempDir();
    expect(agentctl(['init'], { cwd: dir }).code).toBe(0);
    const { run, urls } = loadedBy(['rules', 'list', '--json'], dir);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.stringify(run.json())).toContain('classify-new-submission');
    expect(entry(urls)).not.toEqual([]);
    expect(library(urls)).toEqual([]);
    expect(transportDrivers(urls)).toEqual([]);
  });

  it("Given a config that imports defineAgent, defineProcess, rule and FatalError from 'agentctl', Then it loads as if it imported agentctl/config", () => {
    const dir = tempDir();
    writeConfig(
      dir,
      `{ name: 'orders', rules: [rule({ name: 'paid', on: 'order.paid', process: 'bill' })], ${bill} }`,
    );
    const { run, urls } = loadedBy(['rules', 'list', '--json'], dir);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.stringify(run.json())).toContain('paid');
    expect(library(urls)).toEqual([]);
    expect(transportDrivers(urls)).toEqual([]);
  });

  it("Given a config that uses a name only 'agentctl' has, Then it loads the library and works as before", () => {
    const dir = tempDir();
    writeConfig(
      dir,
      `{ name: 'orders', rules: [rule({ name: new Stats().constructor.name, on: 'order.paid', process: 'bill' })], ${bill} }`,
      `import { Stats } from 'agentctl';`,
    );
    const { run, urls } = loadedBy(['rules', 'list', '--json'], dir);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.stringify(run.json())).toContain('Stats');
    expect(library(urls)).not.toEqual([]);
  });

  const fatalStep = `processes: [defineProcess({ name: 'bill', retry: { maxRetries: 3, baseMs: 1, maxMs: 1 },
      steps: [{ name: 'charge', run: () => { throw new FatalError('no customer'); } }] })]`;
  it.each([
    ['agentctl/config', `import { defineAgent, defineProcess, rule, FatalError } from 'agentctl/config';`],
    [
      'agentctl, config names only',
      `import { defineAgent, defineProcess, rule, FatalError } from 'agentctl';`,
    ],
    [
      'agentctl, with a name only the library has',
      `import { defineAgent, defineProcess, rule, FatalError, Stats } from 'agentctl';\nvoid Stats;`,
    ],
    [
      'agentctl, required by a CommonJS config',
      `const { defineAgent, defineProcess, rule, FatalError } = require('agentctl');`,
    ],
    [
      'agentctl/config, required by a CommonJS config',
      `const { defineAgent, defineProcess, rule, FatalError } = require('agentctl/config');`,
    ],
  ])(
    'Given a step that throws FatalError imported from %s, When the agent consumes, Then the run fails at once, not retried',
    (_, imports) => {
      const dir = tempDir();
      const commonJs = imports.includes('require(');
      writeFileSync(
        join(dir, commonJs ? 'agentctl.config.js' : 'agentctl.config.ts'),
        `${imports}\n${commonJs ? 'module.exports =' : 'export default'} defineAgent({ name: 'orders', rules: [rule({ name: 'paid', on: 'order.paid', process: 'bill' })],\n${fatalStep} });\n`,
      );
      expect(agentctl(['publish', '--type', 'order.paid', '--data', '{}'], { cwd: dir }).code).toBe(0);
      const consume = agentctl(['consume', '--until-empty'], { cwd: dir });
      expect(consume.code, consume.stderr).toBe(0);
      const runs = agentctl(['runs', 'list', '--json'], { cwd: dir });
      expect(runs.code, runs.stderr).toBe(0);
      expect(runs.json()).toEqual([expect.objectContaining({ state: 'failed', attempts: 1, fatal: true })]);
    },
  );

  /** A process whose step throws the FatalError of `agentctl`, required (CommonJS) or imported (ESM). */
  const fatalHelper = (esm: boolean) =>
    `${esm ? "import { defineProcess, FatalError } from 'agentctl';" : "const { defineProcess, FatalError } = require('agentctl');"}
${esm ? 'export const bill =' : 'exports.bill ='} defineProcess({ name: 'bill', retry: { maxRetries: 3, baseMs: 1, maxMs: 1 },
  steps: [{ name: 'charge', run: () => { throw new FatalError('no customer'); } }] });
`;
  const agentOf = (bill: string) =>
    `defineAgent({ name: 'orders', rules: [rule({ name: 'paid', on: 'order.paid', process: 'bill' })], processes: [${bill}] })`;
  const cjsConfig = (requireBill: string) =>
    `const { defineAgent, rule } = require('agentctl/config');\nconst path = require('node:path');\nmodule.exports = ${agentOf(requireBill)};\n`;
  it.each([
    [
      'a CommonJS config requiring a CommonJS helper',
      { 'agentctl.config.js': cjsConfig("require('./steps').bill"), 'steps.js': fatalHelper(false) },
    ],
    [
      'a TypeScript config importing a CommonJS helper',
      {
        'agentctl.config.ts': `import { defineAgent, rule } from 'agentctl/config';\nimport { bill } from './lib/steps.cjs';\nexport default ${agentOf('bill')};\n`,
        'lib/steps.cjs': fatalHelper(false),
      },
    ],
    [
      'a CommonJS config requiring an ES module helper (.mjs)',
      { 'agentctl.config.js': cjsConfig("require('./steps.mjs').bill"), 'steps.mjs': fatalHelper(true) },
    ],
    [
      'a CommonJS config requiring a directory whose package.json names the helper',
      {
        'agentctl.config.js': cjsConfig("require('./lib').bill"),
        'lib/package.json': '{ "main": "main.js" }',
        'lib/main.js': fatalHelper(false),
      },
    ],
    [
      'a CommonJS config requiring a helper by a computed path',
      {
        'agentctl.config.js': cjsConfig("require(path.join(__dirname, 'steps.js')).bill"),
        'steps.js': fatalHelper(false),
      },
    ],
    [
      'a CommonJS config requiring a package of node_modules',
      {
        'agentctl.config.js': cjsConfig("require('my-steps').bill"),
        'node_modules/my-steps/package.json': '{ "name": "my-steps", "main": "index.js" }',
        'node_modules/my-steps/index.js': fatalHelper(false),
      },
    ],
  ])(
    "Given %s whose step throws the FatalError of 'agentctl', When the agent consumes, Then the run fails at once, not retried",
    (_, files: Record<string, string>) => {
      const dir = tempDir();
      for (const [name, text] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, name)), { recursive: true });
        writeFileSync(join(dir, name), text);
      }
      expect(agentctl(['publish', '--type', 'order.paid', '--data', '{}'], { cwd: dir }).code).toBe(0);
      const consume = agentctl(['consume', '--until-empty'], { cwd: dir });
      expect(consume.code, consume.stderr).toBe(0);
      const runs = agentctl(['runs', 'list', '--json'], { cwd: dir });
      expect(runs.json()).toEqual([expect.objectContaining({ state: 'failed', attempts: 1, fatal: true })]);
    },
  );

  it.each(['agentctl', 'agentctl/config'])(
    "Given a CommonJS config that requires '%s' and registers a sink opener, When the agent consumes, Then its sink is the one the engine opens",
    (entry) => {
      const dir = tempDir();
      writeFileSync(
        join(dir, 'agentctl.config.js'),
        `const { defineAgent, defineProcess, rule, registerSinkOpener } = require('${entry}');
registerSinkOpener('mine', async () => ({ name: 'mine', maxBatch: 10,
  async send() { return { failures: new Map() }; }, async close() {} }));
module.exports = defineAgent({ name: 'orders', publisher: { sink: 'mine:x' },
  rules: [rule({ name: 'paid', on: 'order.paid', process: 'bill' })],
  processes: [defineProcess({ name: 'bill', publish: true, steps: [{ name: 'charge', run: () => ({ billed: true }) }] })] });
`,
      );
      expect(agentctl(['publish', '--type', 'order.paid', '--data', '{}'], { cwd: dir }).code).toBe(0);
      const consume = agentctl(['consume', '--until-empty'], { cwd: dir });
      expect(consume.code, consume.stderr).toBe(0);
      expect(consume.stdout).toContain('published 1');
    },
  );
});
