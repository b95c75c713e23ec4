import { describe, expect, it } from 'vitest';
import { narrowAgentctlImport, reachesLibrary } from '../../../src/core/config/config-entry-import.js';
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

describe('reachesLibrary', () => {
  /** A project of files by absolute path; `read` answers as the loader's reader does (undefined: none). */
  const project = (files: Record<string, string>) => (path: string) => files[path];

  it('Given a config that requires only agentctl/config and nothing of its own, Then it does not reach the library', () => {
    const read = project({ '/p/agentctl.config.js': "const { rule } = require('agentctl/config');" });
    expect(reachesLibrary('/p/agentctl.config.js', read)).toBe(false);
  });

  it('Given a helper two relative steps away that requires agentctl, Then the config reaches it (extensions, index files, .js written for .ts)', () => {
    const read = project({
      '/p/agentctl.config.ts': "import { steps } from './lib/index.js';\nimport './side';",
      '/p/lib/index.ts': "export * from '../shared';",
      '/p/shared/index.cjs': "module.exports = require('./fatal.cjs');",
      '/p/shared/fatal.cjs': 'const { FatalError } = require("agentctl");',
      '/p/side.mjs': '',
    });
    expect(reachesLibrary('/p/agentctl.config.ts', read)).toBe(true);
  });

  it('Given modules that import each other in a cycle, none requiring agentctl, Then the search ends with false', () => {
    const read = project({
      '/p/agentctl.config.js': "require('./a');",
      '/p/a.js': "require('./b'); require('./missing');",
      '/p/b.js': "require('./a'); require('agentctl/config');",
    });
    expect(reachesLibrary('/p/agentctl.config.js', read)).toBe(false);
  });
});
