import type { CheckpointTarget } from '../../core/console/actions.js';

export const PANES = ['partitions', 'processes', 'retries', 'failed'] as const;
export type PaneName = (typeof PANES)[number];

/**
 * The selected row of a pane (`index`) and the first row on screen (`top`). `key` names the selected
 * row, so that it stays selected while live updates insert rows above it.
 */
export interface Cursor {
  readonly index: number;
  readonly top: number;
  readonly key?: string;
}

/** An action the operator asked for, waiting for its confirmation. */
export type PendingAction =
  | { readonly kind: 'replay'; readonly ids: readonly number[] }
  | { readonly kind: 'discard'; readonly ids: readonly number[] }
  | { readonly kind: 'redrive'; readonly ids: readonly number[] }
  | { readonly kind: 'set-checkpoint'; readonly target: CheckpointTarget; readonly position: string }
  | {
      readonly kind: 'reset-checkpoints';
      readonly targets: readonly CheckpointTarget[];
      readonly to: 'earliest' | 'latest';
    }
  | { readonly kind: 'drain'; readonly agentId?: string; readonly label: string };

/** What the keyboard is talking to. */
export type Mode =
  | { readonly kind: 'normal' }
  /** The key help, scrolled to row `top`. */
  | { readonly kind: 'help'; readonly top: number }
  /**
   * A detail view (Enter on a row): `key` names the row, `lines` are absent until read, `top` is the first
   * row on screen.
   */
  | {
      readonly kind: 'detail';
      readonly key: string;
      readonly title: string;
      readonly lines?: readonly string[];
      readonly top: number;
    }
  | { readonly kind: 'filter'; readonly draft: string }
  /** Choosing what to do with checkpoints; `draft` is the position being typed once `s` was chosen. */
  | { readonly kind: 'checkpoint'; readonly targets: readonly CheckpointTarget[]; readonly draft?: string }
  /** `typeName`: a production context, whose name is typed (into `draft`) instead of pressing y. */
  | {
      readonly kind: 'confirm';
      readonly action: PendingAction;
      readonly question: string;
      readonly typeName?: string;
      readonly draft?: string;
    };

export interface StatusLine {
  readonly text: string;
  readonly tone: 'info' | 'ok' | 'error';
}

export interface ConsoleState {
  readonly focus: PaneName;
  readonly cursors: Readonly<Record<PaneName, Cursor>>;
  readonly filters: Readonly<Record<PaneName, string>>;
  readonly tags: Readonly<Record<PaneName, ReadonlySet<string>>>;
  readonly mode: Mode;
  readonly paused: boolean;
  /** A long action under way, with its latest progress. */
  readonly busy?: { readonly label: string; readonly progress?: string };
  readonly status?: StatusLine;
}

export type Movement = 'up' | 'down' | 'top' | 'bottom' | 'pageUp' | 'pageDown';

export type ConsoleEvent =
  | { readonly type: 'focus'; readonly pane: PaneName }
  | { readonly type: 'cycle'; readonly by: 1 | -1 }
  | {
      readonly type: 'move';
      readonly to: Movement;
      /**
       * The panes' rows as last drawn. The reducer moves from the focused pane's cursor of the moment,
       * fitted to them, not from the cursor that was drawn: keys read faster than the console draws
       * (key repeat, a loaded machine) each move one more row.
       */
      readonly rows: DrawnRows;
    }
  /** Scrolls the help or detail view: `rows` it has in all, `visible` on screen. */
  | { readonly type: 'scroll'; readonly to: Movement; readonly rows: number; readonly visible: number }
  /** The lines of the detail view `key`, read (dropped when another view is open by then). */
  | { readonly type: 'detail'; readonly key: string; readonly lines: readonly string[] }
  | { readonly type: 'tag'; readonly key: string }
  /** Untags every row of the pane and clears the status line. */
  | { readonly type: 'clear'; readonly pane: PaneName }
  | { readonly type: 'mode'; readonly mode: Mode }
  | { readonly type: 'draft'; readonly draft: string }
  /** Text typed into the draft of the mode (or its last character erased), on the state of the moment. */
  | { readonly type: 'typed'; readonly text: string }
  | { readonly type: 'erased' }
  | { readonly type: 'filter'; readonly text: string }
  | { readonly type: 'pause' }
  | { readonly type: 'busy'; readonly label: string; readonly progress?: string }
  | { readonly type: 'status'; readonly status: StatusLine | undefined }
  /** The long action ended. */
  | { readonly type: 'done'; readonly status: StatusLine };

/** One value for each pane. */
export function perPane<T>(value: (pane: PaneName) => T): Record<PaneName, T> {
  return Object.fromEntries(PANES.map((pane) => [pane, value(pane)])) as Record<PaneName, T>;
}

export function initialState(focus: PaneName = 'partitions'): ConsoleState {
  return {
    focus,
    cursors: perPane(() => ({ index: 0, top: 0 })),
    filters: perPane(() => ''),
    tags: perPane(() => new Set<string>()),
    mode: { kind: 'normal' },
    paused: false,
  };
}

/**
 * The cursor kept inside `count` rows, on its keyed row when `indexOf` finds it, with the selected row on
 * screen (the view scrolls only at the edges).
 */
export function fitCursor(
  cursor: Cursor,
  count: number,
  visible: number,
  indexOf: (key: string) => number = () => -1,
): Cursor {
  const found = cursor.key === undefined ? -1 : indexOf(cursor.key);
  const index = clamp(found >= 0 ? found : cursor.index, 0, count - 1);
  let top = clamp(cursor.top, 0, count - visible);
  if (index < top) top = index;
  else if (index >= top + visible) top = index - visible + 1;
  return { index, top: Math.max(0, top), ...(cursor.key === undefined ? {} : { key: cursor.key }) };
}

/** What a movement needs of each pane's rows as drawn (see the `move` event). */
export interface DrawnRows {
  /** A cursor fitted to the pane's rows (following its row's key, kept on screen). */
  readonly fitted: (pane: PaneName, cursor: Cursor) => Cursor;
  readonly counts: Readonly<Record<PaneName, number>>;
  readonly visible: Readonly<Record<PaneName, number>>;
  /** The key of a pane's row at an index, when it is loaded. */
  readonly keyAt: (pane: PaneName, index: number) => string | undefined;
}

function moved(pane: PaneName, from: Cursor, to: Movement, rows: DrawnRows): Cursor {
  const cursor = rows.fitted(pane, from);
  const count = rows.counts[pane];
  const visible = rows.visible[pane];
  const page = Math.max(1, visible - 1);
  const index = {
    up: cursor.index - 1,
    down: cursor.index + 1,
    top: 0,
    bottom: count - 1,
    pageUp: cursor.index - page,
    pageDown: cursor.index + page,
  }[to];
  const fitted = fitCursor({ index, top: cursor.top }, count, visible);
  const key = rows.keyAt(pane, fitted.index);
  return key === undefined ? fitted : { ...fitted, key };
}

/** The first row on screen of a view of `rows` rows, `visible` at a time, after a scroll from `top`. */
export function scrolled(top: number, to: Movement, rows: number, visible: number): number {
  const page = Math.max(1, visible - 1);
  const next = {
    up: top - 1,
    down: top + 1,
    top: 0,
    bottom: rows,
    pageUp: top - page,
    pageDown: top + page,
  }[to];
  return clamp(next, 0, Math.max(0, rows - visible));
}

export function consoleReducer(state: ConsoleState, event: ConsoleEvent): ConsoleState {
  const pane = state.focus;
  switch (event.type) {
    case 'focus':
      return { ...state, focus: event.pane };
    case 'cycle': {
      const at = PANES.indexOf(pane);
      return { ...state, focus: PANES[(at + event.by + PANES.length) % PANES.length]! };
    }
    case 'move':
      return {
        ...state,
        cursors: { ...state.cursors, [pane]: moved(pane, state.cursors[pane], event.to, event.rows) },
      };
    case 'scroll':
      return state.mode.kind === 'help' || state.mode.kind === 'detail'
        ? {
            ...state,
            mode: { ...state.mode, top: scrolled(state.mode.top, event.to, event.rows, event.visible) },
          }
        : state;
    case 'detail':
      return state.mode.kind === 'detail' && state.mode.key === event.key
        ? { ...state, mode: { ...state.mode, lines: event.lines } }
        : state;
    case 'tag': {
      const tags = new Set(state.tags[pane]);
      if (!tags.delete(event.key)) tags.add(event.key);
      return { ...state, tags: { ...state.tags, [pane]: tags } };
    }
    case 'clear': {
      const { status: _status, ...rest } = state;
      return { ...rest, tags: { ...state.tags, [event.pane]: new Set() } };
    }
    case 'mode':
      return { ...state, mode: event.mode };
    case 'draft':
      return state.mode.kind === 'filter' ||
        state.mode.kind === 'checkpoint' ||
        (state.mode.kind === 'confirm' && state.mode.typeName !== undefined)
        ? { ...state, mode: { ...state.mode, draft: event.draft } }
        : state;
    case 'typed':
    case 'erased': {
      const mode = state.mode;
      if (mode.kind !== 'filter' && mode.kind !== 'checkpoint' && mode.kind !== 'confirm') return state;
      const draft = mode.draft ?? '';
      return {
        ...state,
        mode: { ...mode, draft: event.type === 'typed' ? draft + event.text : draft.slice(0, -1) },
      };
    }
    case 'filter':
      return {
        ...state,
        mode: { kind: 'normal' },
        filters: { ...state.filters, [pane]: event.text },
        cursors: { ...state.cursors, [pane]: { index: 0, top: 0 } },
        tags: { ...state.tags, [pane]: new Set() },
      };
    case 'pause':
      return { ...state, paused: !state.paused };
    case 'busy': {
      const { status: _status, ...rest } = state;
      return {
        ...rest,
        busy: { label: event.label, ...(event.progress === undefined ? {} : { progress: event.progress }) },
      };
    }
    case 'status': {
      const { status: _status, ...rest } = state;
      return event.status === undefined ? rest : { ...rest, status: event.status };
    }
    case 'done': {
      const { busy: _busy, ...rest } = state;
      return { ...rest, status: event.status };
    }
  }
}

function clamp(n: number, min: number, max: number): number {
  return Math.max(min, Math.min(max, n));
}
