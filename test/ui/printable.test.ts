import { describe, expect, it } from 'vitest';
import { printable } from '../../src/ui/text/printable.js';
import { renderTable } from '../../src/ui/text/table.js';

describe('printable', () => {
  it('escapes C0 controls, ESC, DEL and C1 controls, keeping tab and newline', () => {
    expect(printable('a\u001b[2Jb\u0007c\u0000d\re\u007ff\u009b31m\u0085')).toBe(
      'a\\x1b[2Jb\\x07c\\x00d\\x0de\\x7ff\\x9b31m\\x85',
    );
    expect(printable('line 1\n\tline 2')).toBe('line 1\n\tline 2');
  });

  it('escapes the invisible characters that reorder or hide text', () => {
    expect(printable('evil\u202etxt.exe \u2066x\u2069 \u200f \u061c \u2028')).toBe(
      'evil\\u202etxt.exe \\u2066x\\u2069 \\u200f \\u061c \\u2028',
    );
  });

  it('leaves printable text, accents, CJK and emoji as they are', () => {
    const text = 'commande passée · 注文 · 📦 · ½';
    expect(printable(text)).toBe(text);
  });

  it('is applied to every cell of a text table', () => {
    const table = renderTable([{ header: 'TYPE', value: (r: string) => r }], ['order\u001b[2J\u202e']);
    expect(table).toBe('TYPE\norder\\x1b[2J\\u202e');
  });
});
