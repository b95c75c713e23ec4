import { describe, expect, it } from 'vitest';
import { narrowAgentctlImport, needsLibrary } from '../../../src/core/config/config-entry-import.js';
import { jitiTransform } from '../../../src/core/config/config-transform-cache.js';
import * as entry from '../../../src/core/config/index.js';
import * as library from '../../../src/core/index.js';

/** What jiti hands to the config's module system: babel's CommonJS-with-top-level-await output. */
function transpiled(source: string): string {
  const result = jitiTransform({
    source,
    filename: '/project/agentctl.config.ts',
    ts: true,
    async: true,
    interopDefault: true,
  });
  expect(result.error).toBeUndefined();
  return result.code;
}

const names = new Set(Object.keys(entry));
const importsOf = (code: string) => [...code.matchAll(/jitiImport\((["'])(.*?)\1\)/g)].map((m) => m[2]);

describe('agentctl/config, the light entry', () => {
  it('Then every name it exports is exported by agentctl as the very same value (one copy of each class)', () => {
    const values = library as Record<string, unknown>;
    const differing = Object.entries(entry).filter(([name, value]) => values[name] !== value);
    expect(differing.map(([name]) => name)).toEqual([]);
    expect(names).toContain('FatalError');
    expect(names).toContain('defineAgent');
  });
});

describe('narrowAgentctlImport', () => {
  it('Given named imports of config names from agentctl (types too), When narrowed, Then the config imports agentctl/config', () => {
    const code = transpiled(
      `import { defineAgent as define, rule, FatalError, type AgentConfig } from 'agentctl';
import type { Rule } from 'agentctl';
const fail = () => { throw new FatalError('no'); };
export default define({ name: 'x', rules: [rule({ name: 'r', on: 'a', process: 'p' })] } satisfies AgentConfig);`,
    );
    expect(importsOf(code)).toEqual(['agentctl']);
    expect(importsOf(narrowAgentctlImport(code, names))).toEqual(['agentctl/config']);
  });

  it('Given a config that uses a name only the library has, Then it still imports agentctl', () => {
    const code = transpiled(
      `import { defineAgent, MemorySink } from 'agentctl';\nexport const sink = new MemorySink();\nexport default defineAgent({ name: 'x' });`,
    );
    expect(narrowAgentctlImport(code, names)).toBe(code);
  });

  it.each([
    ['a namespace import', `import * as a from 'agentctl';\nexport default a.defineAgent({ name: 'x' });`],
    ['a default import', `import a from 'agentctl';\nexport default a.defineAgent({ name: 'x' });`],
    ['export *', `export * from 'agentctl';\nexport default { name: 'x' };`],
  ])('Given %s, Then the import is left as it is', (_, source) => {
    const code = transpiled(source);
    expect(narrowAgentctlImport(code, names)).toBe(code);
  });

  it('Given the imported namespace read by key rather than by name, Then the import is left as it is', () => {
    const code = transpiled(
      `import { defineAgent } from 'agentctl';\nexport default defineAgent({ name: 'x' });`,
    );
    const byKey = code.replace(/\b(_agentctl)\.defineAgent\b/, '$1["defineAgent"]');
    expect(byKey).not.toBe(code);
    expect(narrowAgentctlImport(byKey, names)).toBe(byKey);
  });

  it('Given a config that also imports agentctl dynamically, Then only the static import is narrowed', () => {
    const code = transpiled(
      `import { defineAgent } from 'agentctl';\nexport const lib = () => import('agentctl');\nexport default defineAgent({ name: 'x' });`,
    );
    expect(importsOf(narrowAgentctlImport(code, names)).sort()).toEqual(['agentctl', 'agentctl/config']);
  });
});

describe('needsLibrary', () => {
  it.each([
    ['the config agentctl init writes', "import { defineAgent, rule } from 'agentctl/config';"],
    ["a static import of agentctl (native: the engine's own instance)", "import { Stats } from 'agentctl';"],
    [
      'Node built-ins',
      "import { readFileSync } from 'node:fs';\nimport path from 'path';\nconst os = require('os');",
    ],
    ['a require of agentctl/config', 'const { rule } = require("agentctl/config");'],
  ])('Given %s only, Then the library is not needed', (_, source) => {
    expect(needsLibrary(source)).toBe(false);
  });

  it.each([
    ['require of agentctl', "const { FatalError } = require( 'agentctl' );"],
    ['a CommonJS helper', "const { bill } = require('./steps');"],
    ['an .mjs helper required', "const steps = require('./steps.mjs');"],
    ['a helper imported by a TypeScript config', "import { bill } from './lib/steps.cjs';"],
    ['a directory with a package.json main', "require('./lib');"],
    ['a package', "import { bill } from 'my-steps';"],
    ['an absolute path', "require('/srv/agents/steps.js');"],
    ['the parent directory', "require('..');"],
    ['a computed path', "require(path.join(__dirname, 'steps.js'));"],
    ['a template literal', 'require(`./steps.js`);'],
    ['a dynamic import', "const steps = await import('./steps.js');"],
    ['a re-export', "export * from './shared';"],
    ['a side-effect import', "import './register-sinks';"],
    ['createRequire', 'const require = createRequire(import.meta.url);'],
  ])('Given %s, Then the library is handed over', (_, source) => {
    expect(needsLibrary(source)).toBe(true);
  });
});
