/** Layout and wording helpers shared by the console's components (pure, no React). */

export interface Column<Row> {
  readonly header: string;
  readonly value: (row: Row) => string;
  readonly align?: 'left' | 'right';
  /** Widest the column may get (default 28). */
  readonly max?: number;
  /** Takes the width left over (one column per table; it is cut first when space runs out). */
  readonly flex?: boolean;
  /**
   * The flex column only: the width it needs (default 16, or its widest cell when that is less) before
   * the table drops columns to make room for it.
   */
  readonly min?: number;
  /**
   * When the table is too narrow, columns with a `drop` rank are left out, lowest rank first, until the
   * rest fits (the flex column gets its `min`). Columns without one are always shown.
   */
  readonly drop?: number;
  /** A color for the cell (Ink color name). */
  readonly color?: (row: Row) => string | undefined;
}

const GAP = 2;
const FLEX_MIN = 16;

/** The columns a table shows in `width`, and their widths. */
export interface FittedColumns<Row> {
  readonly columns: readonly Column<Row>[];
  readonly widths: readonly number[];
}

/**
 * The columns that fit `width`, each as wide as its content (up to `max`) and the flex column the rest;
 * when they do not fit, columns are dropped by their `drop` rank, lowest first.
 */
export function fitColumns<Row>(
  columns: readonly Column<Row>[],
  rows: readonly Row[],
  width: number,
): FittedColumns<Row> {
  const content = (c: Column<Row>) =>
    rows.reduce((w, row) => Math.max(w, c.value(row).length), c.header.length);
  let shown = [...columns];
  for (;;) {
    const widths = shown.map((c) => Math.min(c.max ?? 28, content(c)));
    const flex = shown.findIndex((c) => c.flex === true);
    const others = widths.reduce((a, b, i) => a + (i === flex ? 0 : b), 0) + GAP * (shown.length - 1);
    const need = flex < 0 ? 0 : Math.min(shown[flex]!.min ?? FLEX_MIN, content(shown[flex]!));
    const droppable = shown.filter((c) => c.drop !== undefined);
    if (others + need <= width || droppable.length === 0) {
      if (flex >= 0) widths[flex] = Math.max(shown[flex]!.header.length, width - others);
      return { columns: shown, widths };
    }
    const first = droppable.reduce((a, b) => (b.drop! < a.drop! ? b : a));
    shown = shown.filter((c) => c !== first);
  }
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
