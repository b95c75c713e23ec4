import type { Cursor } from '../console-state.js';

/** What every pane is given besides its rows: where the cursor is, the filter, and its place on screen. */
export type PaneProps = {
  /** The selected row and the first row on screen. */
  readonly cursor: Cursor;
  /** The pane's filter or search (empty: none). */
  readonly filter: string;
  /** Whether the pane has the keyboard (the selection shows in reverse video only then). */
  readonly focused: boolean;
  /** Lines the pane takes. */
  readonly height: number;
  /** Characters per line. */
  readonly width: number;
};
