import { type Key, useInput } from 'ink';
import { useCallback, useRef } from 'react';
import { type Mode, type Movement, PANES, type PaneName } from '../console-state.js';

/** What a key press means in the current mode. */
export type KeyCommand =
  | { readonly type: 'cycle'; readonly by: 1 | -1 }
  | { readonly type: 'focus'; readonly pane: PaneName }
  | { readonly type: 'move'; readonly to: Movement }
  | {
      readonly type:
        | 'filter'
        | 'tag'
        | 'replay'
        | 'discard'
        /** `o`: redrive the tagged (else selected) failed messages to their origin. */
        | 'redrive'
        /** `e`: edit the selected failed message in $EDITOR. */
        | 'edit'
        | 'checkpoint'
        | 'drain'
        | 'pause'
        /** `p`: peek around the selected partition's checkpoint (Partitions pane); elsewhere, pause. */
        | 'peek'
        | 'help'
        | 'quit'
        | 'escape'
        /** Enter: the selected row's detail view. */
        | 'open';
    }
  /** Text entry (filter, position). */
  | { readonly type: 'type'; readonly text: string }
  | { readonly type: 'erase' }
  | { readonly type: 'submit' }
  | { readonly type: 'cancel' }
  /** Confirmation. */
  | { readonly type: 'yes' }
  /** Checkpoint dialog. */
  | { readonly type: 'choose'; readonly choice: 'earliest' | 'latest' | 'position' };

const NORMAL: Readonly<Record<string, KeyCommand>> = {
  ']': { type: 'cycle', by: 1 },
  '[': { type: 'cycle', by: -1 },
  j: { type: 'move', to: 'down' },
  k: { type: 'move', to: 'up' },
  g: { type: 'move', to: 'top' },
  G: { type: 'move', to: 'bottom' },
  '/': { type: 'filter' },
  ' ': { type: 'tag' },
  r: { type: 'replay' },
  D: { type: 'discard' },
  o: { type: 'redrive' },
  e: { type: 'edit' },
  c: { type: 'checkpoint' },
  d: { type: 'drain' },
  p: { type: 'peek' },
  P: { type: 'pause' },
  '?': { type: 'help' },
  q: { type: 'quit' },
};

/** k9s/htop habits; pure, so that the key table is tested without a terminal. */
export function keyCommand(input: string, key: Key, mode: Mode): KeyCommand | undefined {
  if (key.ctrl && input === 'c') return { type: 'quit' };
  switch (mode.kind) {
    case 'help':
      return scrollCommand(input, key) ?? { type: 'cancel' };
    case 'detail':
      if (key.escape || input === 'q') return { type: 'cancel' };
      return scrollCommand(input, key);
    case 'confirm':
      if (mode.typeName !== undefined) return textCommand(input, key);
      if (input === 'y' || input === 'Y') return { type: 'yes' };
      return key.escape || key.return || input === 'n' || input === 'N' || input === 'q'
        ? { type: 'cancel' }
        : undefined;
    case 'filter':
      return textCommand(input, key);
    case 'checkpoint':
      if (mode.draft !== undefined) return textCommand(input, key);
      if (input === 'e') return { type: 'choose', choice: 'earliest' };
      if (input === 'l') return { type: 'choose', choice: 'latest' };
      if (input === 's') return { type: 'choose', choice: 'position' };
      return key.escape || input === 'q' ? { type: 'cancel' } : undefined;
    case 'normal':
      return normalCommand(input, key);
  }
}

/** Keys while text is typed (a filter, a position). */
function textCommand(input: string, key: Key): KeyCommand | undefined {
  if (key.escape) return { type: 'cancel' };
  if (key.return) return { type: 'submit' };
  if (key.backspace || key.delete) return { type: 'erase' };
  if (key.ctrl || key.meta || key.tab || input === '') return undefined;
  return { type: 'type', text: input };
}

/** Arrows, pages, home and end (the keys that move a selection or scroll a view). */
function movementCommand(input: string, key: Key): KeyCommand | undefined {
  if (key.downArrow) return { type: 'move', to: 'down' };
  if (key.upArrow) return { type: 'move', to: 'up' };
  if (key.pageDown || (key.ctrl && input === 'd')) return { type: 'move', to: 'pageDown' };
  if (key.pageUp || (key.ctrl && input === 'u')) return { type: 'move', to: 'pageUp' };
  if (key.home) return { type: 'move', to: 'top' };
  if (key.end) return { type: 'move', to: 'bottom' };
  return undefined;
}

/** Keys that scroll a view of text (the help, a detail view): movements, j/k, g/G and space (a page). */
function scrollCommand(input: string, key: Key): KeyCommand | undefined {
  const moved = movementCommand(input, key);
  if (moved !== undefined) return moved;
  if (key.ctrl || key.meta) return undefined;
  if (input === ' ') return { type: 'move', to: 'pageDown' };
  const command = NORMAL[input];
  return command?.type === 'move' ? command : undefined;
}

function normalCommand(input: string, key: Key): KeyCommand | undefined {
  if (key.tab) return { type: 'cycle', by: key.shift ? -1 : 1 };
  const moved = movementCommand(input, key);
  if (moved !== undefined) return moved;
  if (key.return) return { type: 'open' };
  if (key.escape) return { type: 'escape' };
  if (key.ctrl || key.meta) return undefined;
  const pane = PANES[Number(input) - 1];
  if (/^[1-4]$/.test(input) && pane !== undefined) return { type: 'focus', pane };
  return NORMAL[input];
}

/**
 * Routes key presses to `onCommand`, each read in the mode of the moment (`mode()`, which the keys before
 * it may have changed since the last render: `/` then `c` typed back to back is a search for "c"). Keys
 * that arrive together (a held-down `j`, fast typing, a paste) come as one chunk of text: outside text
 * entry each character counts as a key; in text entry what comes before a line end is typed; a line end
 * inside a chunk is Enter (`/cust⏎` in one chunk searches for "cust").
 */
export function useKeys(mode: () => Mode, onCommand: (command: KeyCommand) => void, active = true): void {
  // The handler of the latest render, even before React re-subscribes (keys can follow each other fast).
  const latest = useRef({ mode, onCommand });
  latest.current = { mode, onCommand };
  const handler = useCallback((input: string, key: Key) => {
    const { mode: now, onCommand: send } = latest.current;
    let rest = input;
    do {
      const current = now();
      const one = firstKey(rest, typing(current));
      rest = rest.slice(one.length);
      const command =
        input.length > 1 && LINE_END.test(one)
          ? keyCommand('', { ...key, return: true }, current)
          : keyCommand(one, key, current);
      if (command !== undefined) send(command);
    } while (rest.length > 0);
  }, []);
  useInput(handler, { isActive: active });
}

/** A line end as a terminal or a paste sends it. */
const LINE_END = /^(\r\n|\r|\n)$/;

/** The first key of a chunk: a line end, else while text is typed all up to one, else one character. */
function firstKey(chunk: string, text: boolean): string {
  if (chunk.length <= 1) return chunk;
  const end = chunk.search(/[\r\n]/);
  if (end === 0) return chunk.startsWith('\r\n') ? '\r\n' : chunk[0]!;
  if (text) return end < 0 ? chunk : chunk.slice(0, end);
  return String.fromCodePoint(chunk.codePointAt(0)!);
}

/** Whether keys are typed as text in a mode (a filter, a position, a confirmation by name). */
function typing(mode: Mode): boolean {
  return (
    mode.kind === 'filter' ||
    (mode.kind === 'checkpoint' && mode.draft !== undefined) ||
    (mode.kind === 'confirm' && mode.typeName !== undefined)
  );
}
