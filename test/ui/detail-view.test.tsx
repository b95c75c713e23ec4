import fc from 'fast-check';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { DetailView } from '../../src/ui/console/components/DetailView.js';
import { scrolled } from '../../src/ui/console/console-state.js';
import { wrapLines } from '../../src/ui/console/detail-rows.js';

const numbered = (n: number) => Array.from({ length: n }, (_, i) => `line ${i + 1}`);
const frameOf = (view: ReturnType<typeof render>) => (view.lastFrame() ?? '').split('\n');

describe('DetailView', () => {
  it('shows the title, where it stands (lines a–b of n) and the rows from the top asked for', () => {
    const frame = frameOf(
      render(<DetailView title="failed message 12" lines={numbered(40)} top={10} height={6} width={60} />),
    );
    expect(frame).toHaveLength(6);
    expect(frame[0]).toMatch(/^failed message 12\s+lines 11–15 of 40$/);
    expect(frame[0]).toHaveLength(60);
    expect(frame.slice(1)).toEqual(['line 11', 'line 12', 'line 13', 'line 14', 'line 15']);
  });

  it('keeps the last screenful on screen when asked to scroll past the end', () => {
    const frame = frameOf(
      render(<DetailView title="t" lines={numbered(12)} top={500} height={6} width={40} />),
    );
    expect(frame[0]).toMatch(/lines 8–12 of 12$/);
    expect(frame.at(-1)).toBe('line 12');
  });

  it('wraps a long line at a space, its continuation under its own indentation, and counts the rows', () => {
    const lines = ['{', `  "error": "${'no customer '.repeat(6).trim()}",`, '}'];
    const frame = frameOf(render(<DetailView title="event" lines={lines} top={0} height={8} width={40} />));
    expect(frame[0]).toMatch(/lines 1–5 of 5$/);
    expect(frame.slice(1)).toEqual([
      '{',
      '  "error": "no customer no customer no',
      '  customer no customer no customer no',
      '  customer",',
      '}',
      '',
      '',
    ]);
  });

  it('says it is loading until its lines are read, and shows controls escaped', () => {
    expect(
      frameOf(render(<DetailView title="t" lines={undefined} top={0} height={3} width={40} />))[0],
    ).toMatch(/^t\s+loading…$/);
    const frame = frameOf(
      render(<DetailView title="t" lines={['bad \u001b[2J\u202e type']} top={0} height={3} width={40} />),
    );
    expect(frame[1]).toBe('bad \\x1b[2J\\u202e type');
  });
});

describe('wrapLines', () => {
  it('moves a word that fits on a row of its own there whole (an id to copy), and cuts a longer one', () => {
    const id = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789';
    expect(wrapLines([`run: ${id}`], 40)).toEqual(['run:', id]);
    expect(wrapLines([`run: ${id}`], 20)).toEqual(['run: AbCdEfGhIjKlMnO', 'pQrStUvWxYz012345678', '9']);
  });

  it('never makes a row wider than the width, and keeps every character but the spaces it breaks at', () => {
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[ a-z{}":,]{0,200}$/), { maxLength: 8 }),
        fc.integer({ min: 8, max: 100 }),
        (lines, width) => {
          const rows = wrapLines(lines, width);
          expect(rows.every((row) => row.length <= width)).toBe(true);
          const visible = (texts: readonly string[]) => texts.join('').replaceAll(' ', '');
          expect(visible(rows)).toBe(visible(lines));
        },
      ),
    );
  });
});

describe('scrolled', () => {
  it('moves by a row, a page (keeping one row of context), or to either end, never past them', () => {
    expect(scrolled(0, 'down', 40, 10)).toBe(1);
    expect(scrolled(0, 'up', 40, 10)).toBe(0);
    expect(scrolled(5, 'pageDown', 40, 10)).toBe(14);
    expect(scrolled(25, 'pageDown', 40, 10)).toBe(30);
    expect(scrolled(5, 'pageUp', 40, 10)).toBe(0);
    expect(scrolled(3, 'bottom', 40, 10)).toBe(30);
    expect(scrolled(30, 'top', 40, 10)).toBe(0);
    expect(scrolled(0, 'bottom', 4, 10)).toBe(0);
  });
});
