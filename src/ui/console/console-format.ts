/** Layout and wording helpers shared by the console's components (pure, no React). */

export interface Column<Row> {
  readonly header: string;
  readonly value: (row: Row) => string;
  readonly align?: 'left' | 'right';
  /** Widest the column may get (default 28). */
  readonly max?: number;
  /** Takes the width left over (one column per table; it is cut first when space runs out). */
  readonly flex?: boolean;
  /** A color for the cell (Ink color name). */
  readonly color?: (row: Row) => string | undefined;
}

const GAP = 2;

/** Column widths that fit `width`: each as wide as its content (up to `max`), the flex column the rest. */
export function columnWidths<Row>(
  columns: readonly Column<Row>[],
  rows: readonly Row[],
  width: number,
): number[] {
  const widths = columns.map((c) =>
    Math.min(
      c.max ?? 28,
      rows.reduce((w, row) => Math.max(w, c.value(row).length), c.header.length),
    ),
  );
  const used = widths.reduce((a, b) => a + b, 0) + GAP * (columns.length - 1);
  const flex = columns.findIndex((c) => c.flex === true);
  if (flex >= 0) widths[flex] = Math.max(columns[flex]!.header.length, widths[flex]! + width - used);
  return widths;
}

/** Text cut or padded to exactly `width` characters. */
export function fitText(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  const flat = text.replace(/\s+/g, ' ');
  const cut =
    flat.length > width ? (width <= 1 ? flat.slice(0, width) : `${flat.slice(0, width - 1)}…`) : flat;
  return align === 'right' ? cut.padStart(width) : cut.padEnd(width);
}

export const SEPARATOR = ' '.repeat(GAP);

const GREEN = new Set([
  'reading',
  'succeeded',
  'delivered',
  'enabled',
  'recovered',
  'STEADY',
  'ACTIVE',
  'IDLE',
]);
const YELLOW = new Set(['paused', 'waiting', 'pending', 'running', 'BOOT', 'SHUTTINGDOWN']);
const RED = new Set(['failed', 'parked', 'disabled', 'exhausted', 'ERROR', 'OFFLINE']);

/** The color of a state word (partition, run, step, effort, sink, agent). */
export function stateColor(state: string | undefined): string | undefined {
  if (state === undefined) return undefined;
  if (GREEN.has(state)) return 'green';
  if (YELLOW.has(state)) return 'yellow';
  if (RED.has(state)) return 'red';
  return 'gray';
}

/** A multi-line text renderer's output on one status line. */
export function oneLine(text: string): string {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join('; ');
}

/** "12, 13, 14" or "12, 13, 14 … (+7)". */
export function listed(items: readonly (string | number)[], shown = 5): string {
  const head = items.slice(0, shown).join(', ');
  return items.length > shown ? `${head} … (+${items.length - shown})` : head;
}
