import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Column, fitColumns } from '../../src/ui/console/console-format.js';

type Row = Readonly<Record<string, string>>;
const column = (header: string, extra: Partial<Column<Row>> = {}): Column<Row> => ({
  header,
  value: (row) => row[header] ?? '',
  ...extra,
});
const COLUMNS = [
  column('ID'),
  column('PARTITION', { drop: 1 }),
  column('EVENT', { drop: 2 }),
  column('AGE', { drop: 3 }),
  column('ERROR', { flex: true }),
];
const ROW: Row = {
  ID: '12',
  PARTITION: '3@10400',
  EVENT: 'order.created',
  AGE: '1m40s ago',
  ERROR: 'step "score": order 12 has no customer',
};
const headers = (width: number) => fitColumns(COLUMNS, [ROW], width).columns.map((c) => c.header);

describe('fitColumns', () => {
  it('shows every column when they fit, and gives the flex column what is left', () => {
    const { columns, widths } = fitColumns(COLUMNS, [ROW], 120);
    expect(columns).toHaveLength(5);
    expect(widths).toEqual([2, 9, 13, 9, 120 - (2 + 9 + 13 + 9) - 8]);
  });

  it('drops columns by their rank, lowest first, until the flex column gets its minimum', () => {
    expect(headers(57)).toHaveLength(5);
    expect(headers(56)).toEqual(['ID', 'EVENT', 'AGE', 'ERROR']);
    expect(headers(45)).toEqual(['ID', 'AGE', 'ERROR']);
    expect(headers(30)).toEqual(['ID', 'ERROR']);
  });

  it('never drops a column without a rank, and never needs more room for the flex column than its text', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }), (width) => {
        expect(headers(width)).toEqual(expect.arrayContaining(['ID', 'ERROR']));
      }),
    );
    const short = { ...ROW, ERROR: 'boom' };
    expect(fitColumns(COLUMNS, [short], 2 + 9 + 13 + 9 + 5 + 8).columns).toHaveLength(5);
  });
});
