import { useCallback, useEffect, useRef, useState } from 'react';
import type { ConsoleQuery, ConsoleView } from '../../../core/console/data.js';
import { refreshInterval } from '../../../core/console/pacing.js';
import type { PartitionPeek, PartitionRef } from '../../../core/console/partition-peek.js';
import type { RunDetail } from '../../../core/ops/runs/run-detail.js';
import type { FailedMessage } from '../../../core/store/records.js';

/** What the console reads its data from (a `ConsoleFeed`, or a fake in tests). */
export interface ConsoleSource {
  load(query: ConsoleQuery): Promise<ConsoleView>;
  /** One parked message whole (payload and history), secrets redacted; undefined when it is gone. */
  failedItem(id: number): Promise<FailedMessage | undefined>;
  /** One run as `runs show` reads it, secrets redacted; undefined when it is gone. */
  runDetail(id: string, eventId?: string): Promise<RunDetail | undefined>;
  /** The records around a partition's checkpoint, read without touching the source. */
  peekAround(ref: PartitionRef): Promise<PartitionPeek>;
  /** The next load re-reads everything (after an action changed the store). */
  invalidate(): void;
}

export interface ConsoleData {
  readonly view: ConsoleView | undefined;
  /** The last load's error; the last good view stays on screen. */
  readonly error: string | undefined;
  /** Asks for other rows (the operator scrolled, filtered, selected another run): loads at once if new. */
  readonly request: (query: ConsoleQuery) => void;
  /** Re-reads everything now (after an action). */
  readonly reload: () => void;
  /** How often it really loads: `refreshMs`, or longer while loads are costly (see `refreshInterval`). */
  readonly intervalMs: number;
}

const FIRST_QUERY: ConsoleQuery = { failed: { top: 0, limit: 20 } };
/** A view whose content did not change is shown again (clock, ages) at most this often. */
export const SAME_VIEW_MS = 5_000;

/** The view's content, without the times that change at every load whatever happens. */
function contentOf(view: ConsoleView): string {
  return JSON.stringify(view, (key, value: unknown) =>
    key === 'takenAt' || key === 'heartbeatAt' ? undefined : value,
  );
}

interface Loader {
  query: ConsoleQuery;
  key: string;
  paused: boolean;
  running: boolean;
  again: boolean;
  alive: boolean;
  timer: NodeJS.Timeout | undefined;
  /** What is on screen: its content and when it was read. */
  shown: { content: string; at: number } | undefined;
}

/**
 * Loads the view every `refreshMs` (stretched while loads are costly, as `intervalMs` says) unless
 * `paused`, and at once when a new query is requested. Loads never overlap: one asked for during
 * another runs right after it. A view whose content is what is
 * on screen already is not shown again before `SAME_VIEW_MS`: each frame costs Ink tens of
 * milliseconds of CPU, and an idle store would otherwise be redrawn every second for a clock.
 */
export function useConsoleData(source: ConsoleSource, refreshMs: number, paused: boolean): ConsoleData {
  const [view, setView] = useState<ConsoleView>();
  const [error, setError] = useState<string>();
  const [intervalMs, setIntervalMs] = useState(refreshMs);
  const loader = useRef<Loader>({
    query: FIRST_QUERY,
    key: JSON.stringify(FIRST_QUERY),
    paused,
    running: false,
    again: false,
    alive: true,
    timer: undefined,
    shown: undefined,
  });
  loader.current.paused = paused;

  const load = useCallback(async (): Promise<void> => {
    const state = loader.current;
    if (state.running) {
      state.again = true;
      return;
    }
    clearTimeout(state.timer);
    state.running = true;
    const started = performance.now();
    let every = refreshMs;
    try {
      const next = await source.load(state.query);
      const content = contentOf(next);
      const shown = state.shown;
      if (!state.alive) return;
      setError(undefined);
      if (shown === undefined || shown.content !== content || next.takenAt - shown.at >= SAME_VIEW_MS) {
        state.shown = { content, at: next.takenAt };
        setView(next);
      }
    } catch (cause) {
      if (state.alive) setError(cause instanceof Error ? cause.message : String(cause));
    } finally {
      state.running = false;
      every = refreshInterval(refreshMs, performance.now() - started);
    }
    if (!state.alive) return;
    setIntervalMs(every);
    if (state.again) {
      state.again = false;
      return load();
    }
    const wait = Math.max(0, every - (performance.now() - started));
    if (!state.paused) state.timer = setTimeout(() => void load(), wait);
  }, [source, refreshMs]);

  useEffect(() => {
    const state = loader.current;
    state.alive = true;
    void load();
    return () => {
      state.alive = false;
      clearTimeout(state.timer);
    };
  }, [load]);

  useEffect(() => {
    const state = loader.current;
    if (paused) clearTimeout(state.timer);
    else if (!state.running) void load();
  }, [paused, load]);

  const request = useCallback(
    (query: ConsoleQuery) => {
      const state = loader.current;
      const key = JSON.stringify(query);
      if (key === state.key) return;
      state.query = query;
      state.key = key;
      void load();
    },
    [load],
  );

  const reload = useCallback(() => {
    source.invalidate();
    void load();
  }, [source, load]);

  return { view, error, request, reload, intervalMs };
}
