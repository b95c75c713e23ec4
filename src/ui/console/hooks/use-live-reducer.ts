import { useCallback, useReducer, useRef } from 'react';

/**
 * `useReducer` whose state of the moment can be read between renders. Keys come faster than the console
 * draws (key repeat, a paste, a loaded machine): each must be read in the state the keys before it left
 * (the mode `/` opened, the row `j` moved to), not in the state last drawn. The reducer runs when the
 * event is dispatched; a render follows when the state changed.
 *
 * Returns the state to draw, the dispatch, and a reader of the state of the moment.
 */
export function useLiveReducer<S, E, A>(
  reducer: (state: S, event: E) => S,
  argument: A,
  init: (argument: A) => S,
): readonly [S, (event: E) => void, () => S] {
  const live = useRef<{ state: S } | undefined>(undefined);
  live.current ??= { state: init(argument) };
  const [, drawn] = useReducer((n: number) => n + 1, 0);
  const dispatch = useCallback(
    (event: E) => {
      const holder = live.current!;
      const next = reducer(holder.state, event);
      if (next === holder.state) return;
      holder.state = next;
      drawn();
    },
    [reducer],
  );
  const current = useCallback(() => live.current!.state, []);
  return [live.current.state, dispatch, current] as const;
}
