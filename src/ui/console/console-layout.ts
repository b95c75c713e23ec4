import type { ConsoleView } from '../../core/console/data.js';
import type { PaneName } from './console-state.js';

/** Agent lines shown in the header at most. */
export const MAX_AGENTS = 3;
const TABS = 1;
const FOOTER = 2;
const MIN_PANE = 6;

/**
 * Heights of the frame's parts, given the lines the header's agents take (`agentLines`). The frame is one
 * line shorter than the terminal: a frame that fills the terminal makes Ink clear the screen on every
 * render (flicker); one line less lets it rewrite in place.
 */
export function frameLayout(
  rows: number,
  agentLines: number,
): { readonly header: number; readonly pane: number } {
  const header = 1 + agentLines;
  return { header, pane: Math.max(MIN_PANE, rows - 1 - header - TABS - FOOTER) };
}

/** The Processes pane: runs by process on top, recent runs, the selected run's steps below. */
export function processesSections(height: number, processes: number) {
  const counts = 1 + Math.max(1, Math.min(processes, 5));
  const steps = Math.min(8, Math.max(3, Math.floor(height / 3)));
  return { counts, runs: Math.max(2, height - counts - steps), steps };
}

/** The Retries pane: sinks on top, then retries and efforts, the selected one's attempts below. */
export function retriesSections(height: number, sinks: number) {
  const sinkLines = 1 + Math.max(1, Math.min(sinks, 4));
  const detail = Math.min(6, Math.max(2, Math.floor(height / 4)));
  return { sinks: sinkLines, list: Math.max(2, height - sinkLines - detail), detail };
}

/** The Failed pane: a title, the parked messages, the selected one's details (four lines). */
export function failedSections(height: number) {
  const detail = 4;
  return { list: Math.max(2, height - 1 - detail), detail };
}

/** Rows of the pane's cursor list that fit on screen (a table's header line excluded). */
export function visibleRows(pane: PaneName, height: number, view: ConsoleView | undefined): number {
  switch (pane) {
    case 'partitions':
      return Math.max(1, height - 2);
    case 'processes':
      return Math.max(1, processesSections(height, processCount(view)).runs - 2);
    case 'retries':
      return Math.max(1, retriesSections(height, view?.retries.sinks.length ?? 0).list - 2);
    case 'failed':
      return Math.max(1, failedSections(height).list - 1);
  }
}

export function processCount(view: ConsoleView | undefined): number {
  return new Set(view?.runs.byProcess.map((c) => c.process)).size;
}
