import type { ConsoleView } from '../../core/console/data.js';
import { compact, count } from '../text/format.js';
import type { PaneSummary } from './components/PaneTabs.js';
import type { PaneRows } from './console-rows.js';
import type { PaneName } from './console-state.js';

/** Pending failed messages: exact from the page when it is not searched, else from the counts by reason. */
const pendingFailed = (view: ConsoleView | undefined, searched: boolean) =>
  searched
    ? Object.values(view?.failed.byReason ?? {}).reduce((a, b) => a + b, 0)
    : (view?.failed.total ?? 0);

/** What each tab says of its pane (a pane off screen still says how it stands). */
export function paneSummaries(
  view: ConsoleView | undefined,
  rows: PaneRows,
  searched: boolean,
): Record<PaneName, PaneSummary> {
  const runs = (state: string) =>
    (view?.runs.byProcess ?? []).filter((c) => c.state === state).reduce((a, c) => a + c.count, 0);
  const waiting = rows.retries.filter((r) => r.state === 'waiting' || r.state === 'pending').length;
  const off = (view?.retries.sinks ?? []).filter((s) => !s.enabled).length;
  const sinksOff = `${off} sink${off === 1 ? '' : 's'} off`;
  const lag = (view?.partitions ?? []).reduce((a, p) => a + (p.lagRecords ?? 0), 0);
  const failedRuns = `${count(runs('failed'))} failed`;
  const pending = `${count(pendingFailed(view, searched))} pending`;
  return {
    partitions: {
      text: `${count(view?.partitions.length ?? 0)} · lag ${compact(lag)}`,
      short: `lag ${compact(lag)}`,
    },
    processes: {
      text: `${count(runs('running'))} running · ${failedRuns}`,
      short: runs('failed') > 0 ? failedRuns : `${count(runs('running'))} running`,
    },
    retries: {
      text: `${waiting} waiting${off > 0 ? ` · ${sinksOff}` : ''}`,
      short: off > 0 ? sinksOff : `${waiting} waiting`,
    },
    failed: { text: pending, short: pending },
  };
}

/** Panes whose tab shows trouble: failed runs, a disabled sink, parked messages. */
export function paneAlerts(view: ConsoleView | undefined, searched: boolean): ReadonlySet<PaneName> {
  const set = new Set<PaneName>();
  if ((view?.runs.byProcess ?? []).some((c) => c.state === 'failed' && c.count > 0)) set.add('processes');
  if ((view?.retries.sinks ?? []).some((s) => !s.enabled)) set.add('retries');
  if (pendingFailed(view, searched) > 0) set.add('failed');
  return set;
}
