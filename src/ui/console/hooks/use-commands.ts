import { type Dispatch, useRef } from 'react';
import type { CheckpointTarget, ConsoleActions } from '../../../core/console/actions.js';
import type { ConsolePartition, ConsoleView } from '../../../core/console/data.js';
import type { FailedRow } from '../../../core/console/failed-window.js';
import type { RunRecord } from '../../../core/model/run-record.js';
import { redactSecrets } from '../../../core/redact.js';
import { editInConsole, labelFor, questionFor, runAction } from '../console-commands.js';
import { type DetailProvider, peekDetail } from '../console-details.js';
import type {
  ConsoleEvent,
  ConsoleState,
  Cursor,
  DrawnRows,
  PaneName,
  PendingAction,
} from '../console-state.js';
import type { ConsoleSource } from './use-console-data.js';
import type { KeyCommand } from './use-keys.js';

/** What the keys act on: the rows as drawn (what a movement needs of them), under the cursors of the moment. */
export interface Selection extends DrawnRows {
  readonly view: ConsoleView | undefined;
  /** Each pane's cursor, fitted to its rows. */
  readonly cursors: Readonly<Record<PaneName, Cursor>>;
  readonly failed: FailedRow | undefined;
  readonly partition: ConsolePartition | undefined;
  readonly run: RunRecord | undefined;
  /** The help or detail view on screen: its rows in all, and how many show at a time. */
  readonly scroll: { readonly rows: number; readonly visible: number };
}

export interface CommandContext {
  /**
   * The console's state of the moment, which the keys before this one may have changed since the last
   * render (a mode opened, a row moved to, a row tagged): each key is read in it.
   */
  readonly current: () => ConsoleState;
  readonly dispatch: Dispatch<ConsoleEvent>;
  /** The selection under a state's cursors. */
  readonly select: (state: ConsoleState) => Selection;
  readonly actions: ConsoleActions;
  /** Where a detail view reads its row. */
  readonly source: ConsoleSource;
  /** What Enter opens in each pane (see `DETAIL_PROVIDERS`). */
  readonly details: Readonly<Partial<Record<PaneName, DetailProvider>>>;
  /** The agent this process runs (`consume --tui`). */
  readonly liveAgentId?: string;
  /** A production context's name: actions are confirmed by typing it. */
  readonly production?: string;
  /** Gives the terminal to a program that runs in it (the editor of `e`) and takes it back after. */
  readonly suspend?: <T>(run: () => T) => T;
  /** Re-read the data (after an action). */
  readonly reload: () => void;
  readonly quit: () => void;
}

const info = (text: string): ConsoleEvent => ({ type: 'status', status: { tone: 'info', text } });

/**
 * Turns key commands into state changes and actions. Actions are proposed for confirmation (a read-only
 * console passes them straight to the action service, which refuses them), then run one at a time with
 * their progress on the status line; `esc` stops a long one.
 */
export function useCommands(context: CommandContext): (command: KeyCommand) => void {
  const running = useRef<AbortController | undefined>(undefined);
  return (command) => {
    const { dispatch, actions } = context;
    const state = context.current();
    const selection = context.select(state);
    const { focus, mode } = state;
    const execute = (action: PendingAction) => {
      dispatch({ type: 'mode', mode: { kind: 'normal' } });
      if (running.current !== undefined) {
        dispatch(info('another action is still running (esc stops it)'));
        return;
      }
      const label = labelFor(action);
      const controller = new AbortController();
      running.current = controller;
      dispatch({ type: 'busy', label });
      void runAction(
        actions,
        action,
        (progress) => dispatch({ type: 'busy', label, progress }),
        controller.signal,
      ).then((status) => {
        running.current = undefined;
        if (action.kind === 'replay' || action.kind === 'discard' || action.kind === 'redrive')
          dispatch({ type: 'clear', pane: 'failed' });
        if (action.kind === 'reset-checkpoints') dispatch({ type: 'clear', pane: 'partitions' });
        dispatch({ type: 'done', status });
        context.reload();
      });
    };
    const pause = () => {
      dispatch({ type: 'pause' });
      dispatch(info(state.paused ? 'live updates resumed' : 'live updates paused: P resumes'));
    };
    const propose = (action: PendingAction) =>
      actions.readonly
        ? execute(action)
        : dispatch({
            type: 'mode',
            mode: {
              kind: 'confirm',
              action,
              question: questionFor(action),
              ...(context.production === undefined ? {} : { typeName: context.production, draft: '' }),
            },
          });

    switch (command.type) {
      case 'quit':
        running.current?.abort();
        context.quit();
        return;
      case 'cycle':
      case 'focus':
        dispatch(command);
        return;
      case 'move':
        if (mode.kind === 'help' || mode.kind === 'detail') {
          dispatch({ type: 'scroll', to: command.to, ...selection.scroll });
          return;
        }
        dispatch({ ...command, rows: selection });
        return;
      case 'filter':
        dispatch({ type: 'mode', mode: { kind: 'filter', draft: state.filters[focus] } });
        return;
      case 'type':
      case 'erase': {
        // Applied by the reducer to the draft of the moment: keys typed faster than renders all count.
        dispatch(command.type === 'type' ? { type: 'typed', text: command.text } : { type: 'erased' });
        return;
      }
      case 'submit':
        if (mode.kind === 'filter') dispatch({ type: 'filter', text: mode.draft.trim() });
        else if (mode.kind === 'confirm' && mode.typeName !== undefined) {
          if ((mode.draft ?? '').trim() === mode.typeName) execute(mode.action);
          else {
            dispatch({ type: 'mode', mode: { kind: 'normal' } });
            dispatch({
              type: 'status',
              status: { tone: 'error', text: `not confirmed: type ${mode.typeName} exactly to confirm` },
            });
          }
        } else if (mode.kind === 'checkpoint' && mode.draft !== undefined && mode.draft.trim() !== '') {
          propose({ kind: 'set-checkpoint', target: mode.targets[0]!, position: mode.draft.trim() });
        }
        return;
      case 'cancel':
        dispatch({ type: 'mode', mode: { kind: 'normal' } });
        return;
      case 'yes':
        if (mode.kind === 'confirm') execute(mode.action);
        return;
      case 'escape':
        if (running.current !== undefined) running.current.abort();
        else dispatch({ type: 'clear', pane: focus });
        return;
      case 'peek':
        // Outside the Partitions pane `p` pauses, as it always did.
        if (focus === 'partitions') openDetail(context, state, selection, peekDetail);
        else pause();
        return;
      case 'pause':
        pause();
        return;
      case 'help':
        dispatch({ type: 'mode', mode: { kind: 'help', top: 0 } });
        return;
      case 'open':
        openDetail(context, state, selection, context.details[focus]);
        return;
      case 'tag': {
        const key =
          focus === 'failed'
            ? selection.failed && String(selection.failed.id)
            : focus === 'partitions'
              ? selection.partition?.key
              : undefined;
        if (key !== undefined) dispatch({ type: 'tag', key });
        else if (focus !== 'failed' && focus !== 'partitions')
          dispatch(info('rows are tagged in the Partitions and Failed panes'));
        return;
      }
      case 'replay':
      case 'discard':
      case 'redrive': {
        if (focus !== 'failed') {
          dispatch(info(`${command.type} acts on failed messages: switch to the Failed pane (4)`));
          return;
        }
        const tagged = [...state.tags.failed].map(Number);
        const ids = tagged.length > 0 ? tagged : selection.failed ? [selection.failed.id] : [];
        if (ids.length === 0) dispatch(info('no failed message selected'));
        else propose({ kind: command.type, ids: ids.sort((a, b) => a - b) });
        return;
      }
      case 'edit': {
        if (focus !== 'failed') dispatch(info('e edits a failed message: switch to the Failed pane (4)'));
        else if (selection.failed === undefined) dispatch(info('no failed message selected'));
        else if (running.current !== undefined)
          dispatch(info('another action is still running (esc stops it)'));
        else {
          const id = selection.failed.id;
          void editInConsole(actions, id, context.suspend ?? ((run) => run())).then((status) => {
            dispatch({ type: 'done', status });
            context.reload();
          });
        }
        return;
      }
      case 'checkpoint': {
        if (focus !== 'partitions') {
          dispatch(info('checkpoints are set from the Partitions pane (1)'));
          return;
        }
        const targets = checkpointTargets(state, selection);
        if (targets.length === 0) dispatch(info('no partition selected'));
        else dispatch({ type: 'mode', mode: { kind: 'checkpoint', targets } });
        return;
      }
      case 'choose': {
        if (mode.kind !== 'checkpoint') return;
        if (command.choice !== 'position')
          propose({ kind: 'reset-checkpoints', targets: mode.targets, to: command.choice });
        else if (mode.targets.length === 1) dispatch({ type: 'draft', draft: '' });
        return;
      }
      case 'drain': {
        const target = drainTarget(state, selection, context.liveAgentId);
        if (typeof target === 'string') dispatch(info(target));
        else propose({ kind: 'drain', ...target });
        return;
      }
    }
  };
}

/** Opens the detail view `provider` gives for the selected row, and fills it in once it is read. */
function openDetail(
  { dispatch, source }: CommandContext,
  state: ConsoleState,
  selection: Selection,
  provider: DetailProvider | undefined,
): void {
  const request = provider?.(source, selection);
  if (request === undefined) {
    dispatch(info(provider === undefined ? nothingToOpen(state.focus) : 'nothing selected'));
    return;
  }
  const { key, title } = request;
  dispatch({ type: 'mode', mode: { kind: 'detail', key, title, top: 0 } });
  void request.load().then(
    (lines) => dispatch({ type: 'detail', key, lines }),
    (error: unknown) =>
      dispatch({
        type: 'detail',
        key,
        lines: [`cannot read it: ${redactSecrets(error instanceof Error ? error.message : String(error))}`],
      }),
  );
}

/** What Enter says in a pane without a detail view. */
function nothingToOpen(focus: PaneName): string {
  return focus === 'partitions'
    ? 'Enter opens runs (2) and failed messages (4); here p peeks around the checkpoint'
    : 'Enter opens runs (Processes pane, 2) and failed messages (Failed pane, 4)';
}

function checkpointTargets(state: ConsoleState, selection: Selection): CheckpointTarget[] {
  const rows = selection.view?.partitions ?? [];
  const chosen =
    state.tags.partitions.size > 0
      ? rows.filter((p) => state.tags.partitions.has(p.key))
      : selection.partition
        ? [selection.partition]
        : [];
  return chosen.map((p) => ({ group: p.group, sourceId: p.sourceId, partition: p.partition }));
}

/** The agent `d` drains: the selected partition's reader, else this process's agent, else the only one. */
function drainTarget(
  state: ConsoleState,
  selection: Selection,
  liveAgentId: string | undefined,
): { agentId?: string; label: string } | string {
  const owner =
    state.focus === 'partitions' ? (selection.partition?.agent ?? selection.partition?.owner) : undefined;
  const alive = (selection.view?.agents ?? []).filter((a) => a.alive);
  const chosen = owner ?? liveAgentId ?? (alive.length === 1 ? alive[0]!.id : undefined);
  if (chosen !== undefined) {
    const agent = selection.view?.agents.find((a) => a.id === chosen);
    return {
      agentId: chosen,
      label: agent === undefined ? chosen : `${agent.id} (pid ${agent.pid} on ${agent.host})`,
    };
  }
  return alive.length === 0
    ? 'no running agent to drain'
    : `${alive.length} agents are running: select a partition of the one to drain (Partitions pane, 1)`;
}
