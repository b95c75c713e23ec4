import { describe, expect, it } from 'vitest';
import { helpLines, KEY_BINDINGS } from '../../src/ui/console/help-lines.js';

describe('helpLines', () => {
  it.each([160, 80, 50])(
    'at %i columns: descriptions start in one column, continue in it, and are all there',
    (width) => {
      const lines = helpLines(width, { readonly: false, live: true });
      const bindings = lines.slice(0, lines.indexOf(''));
      const column = Math.max(...KEY_BINDINGS.map(([keys]) => keys.length)) + 2;
      expect(bindings[0]!.slice(column)).toMatch(/^next \/ previous pane/);
      for (const line of bindings) {
        expect(line.length, line).toBeLessThanOrEqual(width);
        expect(line[column - 1], line).toBe(' ');
        expect(line[column], line).not.toBe(' ');
      }
      const described = bindings.map((l) => l.slice(column)).join(' ');
      for (const [keys, what] of KEY_BINDINGS) {
        expect(described).toContain(what.split(' ').slice(0, 3).join(' '));
        expect(bindings.some((l) => l.startsWith(`${keys}  `))).toBe(true);
      }
      const text = bindings.join(' ').replace(/\s+/g, ' ');
      expect(text).toContain(
        'open the selected run (steps, every attempt, publish efforts, its event) or failed message (its event in full, failure history, attempts)',
      );
      expect(text).toContain(
        "p Partitions: peek at the records around the selected partition's checkpoint (✓ done, ▶ the first not done; reads only); elsewhere: pause / resume",
      );
      expect(text).toContain('P pause / resume live updates');
      expect(lines.slice(bindings.length).join(' ')).toContain(
        'this console runs the agent: quitting drains it',
      );
    },
  );

  it('says a read-only console refuses actions', () => {
    expect(helpLines(120, { readonly: true, live: false }).at(-1)).toBe(
      'read-only console: replay, discard, checkpoint and drain are refused',
    );
  });
});
