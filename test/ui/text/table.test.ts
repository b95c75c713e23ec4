import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Column, cliTable3, renderTable } from '../../../src/ui/text/table.js';

const narrowText = fc.string({
  unit: fc.constantFrom(...' abcXYZ019-_:.,/()[]{}@#%&*+=<>?!~|\'"`^$;…→←↑↓—–·×°'.split('')),
  maxLength: 14,
});

const tables = fc
  .array(fc.record({ header: narrowText.filter((h) => h.length > 0), right: fc.boolean() }), {
    minLength: 1,
    maxLength: 5,
  })
  .chain((cols) =>
    fc.record({
      columns: fc.constant(cols),
      rows: fc.array(fc.array(narrowText, { minLength: cols.length, maxLength: cols.length }), {
        minLength: 1,
        maxLength: 6,
      }),
    }),
  );

function columnsOf(cols: readonly { header: string; right: boolean }[]): Column<readonly string[]>[] {
  return cols.map((c, i) => ({
    header: c.header,
    value: (row) => row[i]!,
    ...(c.right ? { align: 'right' as const } : {}),
  }));
}

describe('renderTable', () => {
  it('Given cells of one-column characters, When a table is rendered, Then it is the text cli-table3 lays out', () => {
    fc.assert(
      fc.property(tables, ({ columns, rows }) => {
        const cols = columnsOf(columns);
        const expected = cliTable3(
          cols,
          cols.map((c) => c.header),
          rows,
        );
        expect(renderTable(cols, rows)).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('Given a wide character, a tab or a line break in a cell, When a table is rendered, Then cli-table3 lays it out', () => {
    const cols = columnsOf([
      { header: 'NAME', right: false },
      { header: 'COUNT', right: true },
    ]);
    for (const cell of ['日本語', 'a\tb', 'two\nlines', 'emoji 🎉']) {
      const rows = [
        [cell, '12'],
        ['x', '3'],
      ];
      expect(renderTable(cols, rows)).toBe(cliTable3(cols, ['NAME', 'COUNT'], rows));
    }
    expect(renderTable(cols, [['日本語', '1']]).split('\n')[1]).toBe('日本語      1');
  });

  it('Given no rows, When a table is rendered, Then it says so', () => {
    expect(renderTable(columnsOf([{ header: 'A', right: false }]), [], '(no runs)')).toBe('(no runs)');
  });
});
