import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COVERAGE } from './coverage.js';
import { extractExamples, readmeExamples, stripComment } from './readme-examples.js';

describe('README examples and the coverage table', () => {
  const examples = readmeExamples();

  it('Given the README, Then every command example it shows is in the coverage table', () => {
    const missing = examples.filter((e) => !(e.text in COVERAGE)).map((e) => `README:${e.line}: ${e.text}`);
    expect(missing, 'README examples no e2e test covers (add them to test/e2e/coverage.ts)').toEqual([]);
  });

  it('Given the coverage table, Then every entry is still an example of the README (no stale entries)', () => {
    const texts = new Set(examples.map((e) => e.text));
    const stale = Object.keys(COVERAGE).filter((text) => !texts.has(text));
    expect(stale, 'coverage entries whose text the README no longer shows').toEqual([]);
  });

  it('Given the table, Then every scenario it names is declared by an e2e test file, and examples not run say why', () => {
    const dir = import.meta.dirname;
    const sources = readdirSync(dir)
      .filter((f) => f.endsWith('.test.ts'))
      .map((f) => readFileSync(join(dir, f), 'utf8'))
      .join('\n');
    for (const [text, c] of Object.entries(COVERAGE)) {
      expect(sources, `no test file declares scenario '${c.scenario}' (for ${text})`).toMatch(
        new RegExp(`scenarios\\([^)]*'${c.scenario}'`),
      );
      if (c.status !== 'as written') expect(c.how, `say how "${text}" is run`).toBeTruthy();
    }
  });

  it('extracts fenced shell lines, $ lines of untagged blocks and inline invocations, not output', () => {
    const md = [
      'Run `agentctl status` or `agentctl failed list`, or `npm run demo --x`; see `agentctl`.',
      '```sh',
      'agentctl drain --agent a@h#1 --json   # the agent',
      '$ cat x | agentctl rules test \\',
      '    --event -',
      '# a comment',
      '```',
      '```',
      'agentctl  sqlite /srv/x.db  ·  group orders',
      '$ agentctl tui',
      '```',
    ].join('\n');
    expect(extractExamples(md).map((e) => e.text)).toEqual([
      'agentctl failed list',
      'npm run demo --x',
      'agentctl drain --agent a@h#1 --json',
      'cat x | agentctl rules test --event -',
      'agentctl tui',
    ]);
    expect(stripComment(`agentctl publish --data '{"a":"#1"}' # c`)).toBe(
      `agentctl publish --data '{"a":"#1"}'`,
    );
  });
});
