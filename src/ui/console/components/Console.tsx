import { Box } from 'ink';
import { useEffect, useMemo } from 'react';
import type { ConsoleActions } from '../../../core/console/actions.js';
import type { ConsoleQuery, ConsoleView } from '../../../core/console/data.js';
import { DETAIL_PROVIDERS } from '../console-details.js';
import { frameLayout, MAX_AGENTS, visibleRows } from '../console-layout.js';
import { type PaneRows, paneRows, rowCount } from '../console-rows.js';
import {
  type ConsoleState,
  type Cursor,
  consoleReducer,
  fitCursor,
  initialState,
  type Mode,
  type PaneName,
  perPane,
} from '../console-state.js';
import { wrapLines } from '../detail-rows.js';
import { agentLines, headerAgents } from '../header-agents.js';
import { helpLines } from '../help-lines.js';
import { type Selection, useCommands } from '../hooks/use-commands.js';
import { type ConsoleSource, SAME_VIEW_MS, useConsoleData } from '../hooks/use-console-data.js';
import { useKeys } from '../hooks/use-keys.js';
import { useLiveReducer } from '../hooks/use-live-reducer.js';
import { type TerminalSize, useTerminalSize } from '../hooks/use-terminal-size.js';
import { paneAlerts, paneSummaries } from '../pane-summaries.js';
import { CheckpointDialog } from './CheckpointDialog.js';
import { CONFIRM_HEIGHT, ConfirmDialog } from './ConfirmDialog.js';
import { DetailView, detailVisibleRows } from './DetailView.js';
import { FailedPane } from './FailedPane.js';
import { Footer } from './Footer.js';
import { Header } from './Header.js';
import { PaneTabs } from './PaneTabs.js';
import { PartitionsPane } from './PartitionsPane.js';
import { ProcessesPane } from './ProcessesPane.js';
import { RetriesPane } from './RetriesPane.js';

export type ConsoleProps = {
  /** Where the data comes from (a `ConsoleFeed`). */
  readonly source: ConsoleSource;
  /** What the action keys do (a read-only service refuses them all). */
  readonly actions: ConsoleActions;
  /** Milliseconds between refreshes. */
  readonly refreshMs: number;
  /** The agent group shown (absent: every group). */
  readonly group?: string;
  /** The agent this process runs (`consume --tui`): `d` drains it, and quitting drains it. */
  readonly liveAgentId?: string;
  /** Called on `q` / ctrl-c. */
  readonly onQuit: () => void;
  /** Gives the terminal to a program (the editor of `e`) and takes it back after. */
  readonly suspend?: <T>(run: () => T) => T;
  /** A fixed size instead of the terminal's (tests). */
  readonly size?: Partial<TerminalSize>;
  /** The pane focused at start. */
  readonly initialPane?: PaneName;
  /** The context in use: a production one gets a red banner, and actions are confirmed by its name. */
  readonly context?: { readonly name: string; readonly production: boolean };
};

/**
 * The operations console: header (agents, throughput), pane tabs, the focused pane, status line and key
 * hints, in a frame of constant height so that Ink rewrites only the lines that changed. Holds all the
 * console's state; the panes only draw what they are given.
 */
export function Console({
  source,
  actions,
  refreshMs,
  group,
  liveAgentId,
  onQuit,
  suspend,
  size: fixed,
  initialPane,
  context,
}: ConsoleProps) {
  const size = useTerminalSize(fixed);
  const [state, dispatch, current] = useLiveReducer(consoleReducer, initialPane, initialState);
  const { view, error, request, reload, intervalMs } = useConsoleData(source, refreshMs, state.paused);
  const layout = frameLayout(
    size.rows,
    agentLines(headerAgents(view?.agents ?? [], view?.takenAt ?? 0, MAX_AGENTS)),
  );
  const dialog = state.mode.kind === 'confirm' || state.mode.kind === 'checkpoint';
  const paneHeight = layout.pane - (dialog ? CONFIRM_HEIGHT : 0);
  const rows = useMemo(() => paneRows(view, state.filters), [view, state.filters]);
  const visible = perPane((pane) => visibleRows(pane, paneHeight, view));
  const counts = perPane((pane) => rowCount(pane, rows, view));
  const keyAt = (pane: PaneName, index: number) => rowKeys(pane, rows, view)[index - offset(pane, view)];
  const fitted = (pane: PaneName, cursor: Cursor) => {
    const keys = rowKeys(pane, rows, view);
    const indexOf = (key: string) => {
      const at = keys.indexOf(key);
      return at < 0 ? -1 : at + offset(pane, view);
    };
    return fitCursor(cursor, counts[pane], visible[pane], indexOf);
  };
  const fittedCursors = (at: ConsoleState) => perPane((pane) => fitted(pane, at.cursors[pane]));
  const cursors = fittedCursors(state);
  const text = textView(state.mode, size.columns, actions.readonly, liveAgentId !== undefined);
  const textRows = useMemo(
    () => (text?.lines === undefined ? 0 : wrapLines(text.lines, size.columns).length),
    [text?.lines, size.columns],
  );
  // What the keys act on: the rows as drawn, under the cursors of the state given (that of the moment).
  const select = (at: ConsoleState): Selection => {
    const under = fittedCursors(at);
    return {
      view,
      counts,
      visible,
      cursors: under,
      fitted,
      keyAt,
      failed: view?.failed.rows[under.failed.index - view.failed.top],
      partition: rows.partitions[under.partitions.index],
      run: rows.processes[under.processes.index],
      scroll: { rows: textRows, visible: detailVisibleRows(layout.pane) },
    };
  };
  const query: ConsoleQuery = {
    failed: {
      ...(state.filters.failed ? { search: state.filters.failed } : {}),
      top: cursors.failed.top,
      limit: visible.failed,
    },
    ...(rows.processes[cursors.processes.index]
      ? {
          runId: rows.processes[cursors.processes.index]!.id,
          runEventId: rows.processes[cursors.processes.index]!.eventId,
        }
      : {}),
    focus: state.focus,
  };
  // After every render: `request` compares the query by content and loads only when it changed.
  useEffect(() => request(query));
  const onCommand = useCommands({
    current,
    dispatch,
    select,
    actions,
    source,
    details: DETAIL_PROVIDERS,
    ...(liveAgentId === undefined ? {} : { liveAgentId }),
    ...(context?.production ? { production: context.name } : {}),
    ...(suspend === undefined ? {} : { suspend }),
    reload,
    quit: onQuit,
  });
  useKeys(() => current().mode, onCommand);
  const now = view?.takenAt ?? 0;
  const searched = state.filters.failed !== '';
  const width = size.columns;
  return (
    <Box flexDirection="column" width={width} height={size.rows - 1} overflow="hidden">
      <Header
        agents={view?.agents ?? []}
        store={view?.store}
        {...(group === undefined ? {} : { group })}
        takenAt={view?.takenAt}
        refreshMs={intervalMs}
        askedMs={refreshMs}
        idleMs={SAME_VIEW_MS}
        paused={state.paused}
        readonly={actions.readonly}
        {...(context === undefined ? {} : { context })}
        maxAgents={MAX_AGENTS}
      />
      <PaneTabs
        focus={state.focus}
        summaries={paneSummaries(view, rows, searched)}
        alerts={paneAlerts(view, searched)}
        width={width}
      />
      {text !== undefined ? (
        <DetailView title={text.title} lines={text.lines} top={text.top} height={layout.pane} width={width} />
      ) : (
        <Box flexDirection="column" height={layout.pane}>
          {pane(state, rows, view, { cursors, height: paneHeight, width, now })}
          {state.mode.kind === 'confirm' ? (
            <ConfirmDialog
              question={state.mode.question}
              {...(state.mode.typeName === undefined
                ? {}
                : { typeName: state.mode.typeName, draft: state.mode.draft ?? '' })}
            />
          ) : null}
          {state.mode.kind === 'checkpoint' ? (
            <CheckpointDialog
              targets={state.mode.targets}
              {...(state.mode.draft === undefined ? {} : { draft: state.mode.draft })}
            />
          ) : null}
        </Box>
      )}
      <Footer
        focus={state.focus}
        mode={state.mode.kind}
        busy={state.busy}
        status={state.status}
        error={error}
        readonly={actions.readonly}
        opens={DETAIL_PROVIDERS[state.focus] !== undefined}
        {...(state.mode.kind === 'filter' ? { draft: state.mode.draft } : {})}
      />
    </Box>
  );
}

/** The text shown in the pane's place (the help, a detail view), if any. */
function textView(
  mode: Mode,
  width: number,
  readonly: boolean,
  live: boolean,
): { title: string; lines: readonly string[] | undefined; top: number } | undefined {
  if (mode.kind === 'help')
    return { title: 'keys', lines: helpLines(width, { readonly, live }), top: mode.top };
  if (mode.kind === 'detail') return { title: mode.title, lines: mode.lines, top: mode.top };
  return undefined;
}

/** Keys of a pane's loaded rows (the Failed pane's start at `view.failed.top`). */
function rowKeys(pane: PaneName, rows: PaneRows, view: ConsoleView | undefined): string[] {
  switch (pane) {
    case 'partitions':
      return rows.partitions.map((p) => p.key);
    case 'processes':
      return rows.processes.map((r) => r.id);
    case 'retries':
      return rows.retries.map((r) => r.key);
    case 'failed':
      return (view?.failed.rows ?? []).map((f) => String(f.id));
  }
}

const offset = (pane: PaneName, view: ConsoleView | undefined) =>
  pane === 'failed' ? (view?.failed.top ?? 0) : 0;

interface PaneFrame {
  readonly cursors: Record<PaneName, { index: number; top: number }>;
  readonly height: number;
  readonly width: number;
  readonly now: number;
}

function pane(state: ConsoleState, rows: PaneRows, view: ConsoleView | undefined, frame: PaneFrame) {
  const { cursors, height, width, now } = frame;
  const common = { height, width, focused: state.mode.kind === 'normal' };
  switch (state.focus) {
    case 'partitions':
      return (
        <PartitionsPane
          rows={rows.partitions}
          cursor={cursors.partitions}
          tags={state.tags.partitions}
          filter={state.filters.partitions}
          {...common}
        />
      );
    case 'processes':
      return (
        <ProcessesPane
          counts={view?.runs.byProcess ?? []}
          runs={rows.processes}
          selected={view?.runs.selected}
          cursor={cursors.processes}
          filter={state.filters.processes}
          now={now}
          {...common}
        />
      );
    case 'retries':
      return (
        <RetriesPane
          sinks={view?.retries.sinks ?? []}
          items={rows.retries}
          cursor={cursors.retries}
          filter={state.filters.retries}
          now={now}
          {...common}
        />
      );
    case 'failed':
      return (
        <FailedPane
          rows={rows.failed}
          top={view?.failed.top ?? 0}
          total={view?.failed.total ?? 0}
          capped={view?.failed.capped ?? false}
          byReason={view?.failed.byReason ?? {}}
          cursor={cursors.failed}
          tags={state.tags.failed}
          filter={state.filters.failed}
          now={now}
          {...common}
        />
      );
  }
}
