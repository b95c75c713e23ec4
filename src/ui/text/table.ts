import { createRequire } from 'node:module';
import { printable } from './printable.js';

export interface Column<Row> {
  readonly header: string;
  readonly value: (row: Row) => string;
  readonly align?: 'left' | 'right';
}

const BORDERLESS = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: '  ',
};

/** Cells made only of characters one column wide each: printable ASCII and the few symbols renderers use. */
const NARROW = /^[\x20-\x7e…→←↑↓—–·×°]*$/;

/**
 * A borderless, kubectl-style table; `empty` is printed instead when there are no rows. Cells are shown
 * `printable`: they hold event and error text.
 *
 * Columns two spaces apart, each as wide as its widest cell, lines without trailing blanks. When every
 * cell is one-column characters (the usual table: ids, names, states, numbers), the layout is done here;
 * otherwise (wide or combining characters, a tab, a line break in a cell) by cli-table3, which measures
 * display width. cli-table3 is loaded only then: with what it requires it cost ~20 ms of CPU, 6–8 % of
 * `agentctl status`. Both give the same text (a property test compares them).
 */
export function renderTable<Row>(
  columns: readonly Column<Row>[],
  rows: readonly Row[],
  empty = '(none)',
): string {
  if (rows.length === 0) return empty;
  const head = columns.map((c) => c.header);
  const body = rows.map((row) => columns.map((c) => printable(c.value(row))));
  const lines = [head, ...body];
  if (!lines.every((line) => line.every((cell) => NARROW.test(cell)))) {
    return cliTable3(columns, head, body);
  }
  const widths = columns.map((_, i) => Math.max(...lines.map((line) => line[i]!.length)));
  return lines
    .map((line) =>
      line
        .map((cell, i) =>
          columns[i]!.align === 'right' ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!),
        )
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

type Table = typeof import('cli-table3');

/** The same table laid out by cli-table3 (display widths of any text). */
export function cliTable3<Row>(
  columns: readonly Column<Row>[],
  head: readonly string[],
  body: readonly (readonly string[])[],
): string {
  const Table = createRequire(import.meta.url)('cli-table3') as Table;
  const table = new Table({
    head: [...head],
    chars: BORDERLESS,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
    colAligns: columns.map((c) => c.align ?? 'left'),
  });
  for (const line of body) table.push([...line]);
  return table
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}
