import { Box, Text } from 'ink';
import { printable } from '../../text/printable.js';
import { type Column, fitColumns, fitText, SEPARATOR } from '../console-format.js';
import type { Cursor } from '../console-state.js';

export type TableProps<Row> = {
  /** What each column shows. */
  readonly columns: readonly Column<Row>[];
  /** The rows on screen (already scrolled: the first is the top row). */
  readonly rows: readonly Row[];
  /** Lines the table takes, header included; rows beyond are not shown, short tables are padded. */
  readonly height: number;
  /** Characters per line. */
  readonly width: number;
  /** Index in `rows` of the selected row, if it is on screen. */
  readonly selected?: number;
  /** Whether the table has the keyboard (the selection shows in reverse video only then). */
  readonly focused?: boolean;
  /** Whether a row is tagged (marked in the gutter). */
  readonly tagged?: (row: Row) => boolean;
  /** A stable React key per row. */
  readonly rowKey: (row: Row) => string;
  /** Shown instead of rows when there are none. */
  readonly empty?: string;
};

/**
 * A borderless table of fixed height, one line per row, in the style of `agentctl status`. Each line is
 * cut to the width, so the frame never wraps or grows; on a narrow terminal the columns with the lowest
 * `drop` rank are left out first.
 */
export function Table<Row>({
  columns: given,
  rows,
  height,
  width,
  selected,
  focused = false,
  tagged,
  rowKey,
  empty = '(none)',
}: TableProps<Row>) {
  if (height <= 0) return null;
  // Cells hold event and error text: shown escaped, never as terminal control.
  const escaped = given.map((c) => ({ ...c, value: (row: Row) => printable(c.value(row)) }));
  const gutter = 2;
  const visible = rows.slice(0, Math.max(0, height - 1));
  const { columns, widths } = fitColumns(escaped, visible, width - gutter);
  const header = columns.map((c, i) => fitText(c.header, widths[i]!, c.align)).join(SEPARATOR);
  return (
    <Box flexDirection="column" height={height} overflow="hidden">
      <Text bold wrap="truncate">
        {`${' '.repeat(gutter)}${header}`}
      </Text>
      {visible.length === 0 ? (
        <Text dimColor wrap="truncate">{`${' '.repeat(gutter)}${empty}`}</Text>
      ) : (
        visible.map((row, at) => {
          const isSelected = at === selected;
          return (
            <Text
              key={rowKey(row)}
              wrap="truncate"
              inverse={isSelected && focused}
              bold={isSelected && !focused}
            >
              {tagged?.(row) ? '● ' : isSelected ? '› ' : '  '}
              {columns.map((c, i) => (
                <Text key={c.header} color={isSelected && focused ? undefined : c.color?.(row)}>
                  {(i === 0 ? '' : SEPARATOR) + fitText(c.value(row), widths[i]!, c.align)}
                </Text>
              ))}
            </Text>
          );
        })
      )}
    </Box>
  );
}

/**
 * A table of a pane's list scrolled to the list's cursor: rows from `cursor.top` on, the cursor's row
 * selected. `rows` may be a window of the list that starts at index `first` (a list loaded page by page).
 */
export function CursorTable<Row>({
  rows,
  cursor,
  first = 0,
  ...table
}: Omit<TableProps<Row>, 'selected'> & { readonly cursor: Cursor; readonly first?: number }) {
  return (
    <Table
      {...table}
      rows={rows.slice(Math.max(0, cursor.top - first))}
      selected={cursor.index - Math.max(cursor.top, first)}
    />
  );
}

/** The caption over a pane's list: what it lists, how many rows, and the filter when there is one. */
export function listCaption(what: string, shown: number, filter: string | undefined): string {
  return `${what}  ·  ${shown} shown${filter ? `  ·  filter "${filter}"` : ''}`;
}
