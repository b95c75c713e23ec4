import { Box, Text } from 'ink';
import { useMemo } from 'react';
import { count } from '../../text/format.js';
import { fitText } from '../console-format.js';
import { wrapLines } from '../detail-rows.js';

export type DetailViewProps = {
  /** What is shown (a failed message, a run, the keys); the first line, with the position. */
  readonly title: string;
  /** The text, one entry per line; long lines wrap (see `wrapLines`). Absent while it is read. */
  readonly lines: readonly string[] | undefined;
  /** The first row on screen (kept inside the text). */
  readonly top: number;
  /** Lines the view takes, its title line included. */
  readonly height: number;
  /** Characters per line. */
  readonly width: number;
};

/** Rows of text a detail view of `height` lines shows at a time (its title line excluded). */
export const detailVisibleRows = (height: number) => Math.max(1, height - 1);

/**
 * A scrollable text in the pane's place: the title and where the view stands (`lines 1–18 of 42`) on its
 * first line, then the rows from `top`. Presentational: the console keeps `top` and scrolls it with the
 * keys (`scrolled` in console-state).
 */
export function DetailView({ title, lines, top, height, width }: DetailViewProps) {
  const rows = useMemo(() => wrapLines(lines ?? [], width), [lines, width]);
  const visible = detailVisibleRows(height);
  const first = Math.max(0, Math.min(top, rows.length - visible));
  const shown = rows.slice(first, first + visible);
  const position =
    lines === undefined
      ? 'loading…'
      : rows.length === 0
        ? 'empty'
        : `lines ${count(first + 1)}–${count(first + shown.length)} of ${count(rows.length)}`;
  const room = Math.max(1, width - position.length - 2);
  return (
    <Box flexDirection="column" height={height} overflow="hidden">
      <Text wrap="truncate">
        <Text bold color="cyan">
          {fitText(title, room)}
        </Text>
        <Text dimColor>{`  ${position}`}</Text>
      </Text>
      {shown.map((row, at) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: rows have no identity but their place on screen
        <Text key={at} wrap="truncate">
          {row === '' ? ' ' : row}
        </Text>
      ))}
    </Box>
  );
}
