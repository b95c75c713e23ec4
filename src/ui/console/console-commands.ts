import type { ConsoleActions } from '../../core/console/actions.js';
import { editChanges } from '../../core/ops/failed-edit/edit-diff.js';
import { redactSecrets } from '../../core/redact.js';
import { renderCheckpointChange } from '../text/checkpoints.js';
import { renderDrainRequested, renderDrainResult } from '../text/drain.js';
import { plural } from '../text/format.js';
import { renderRedriveProgress, renderRedriveSummary } from '../text/redrive.js';
import { renderReplayProgress, renderReplaySummary } from '../text/replay.js';
import { listed, oneLine } from './console-format.js';
import type { PendingAction, StatusLine } from './console-state.js';

const DRAIN_TIMEOUT_MS = 60_000;

/** The question asked before an action runs. */
export function questionFor(action: PendingAction): string {
  switch (action.kind) {
    case 'replay':
      return `Replay ${plural(action.ids.length, 'failed message')} (${listed(action.ids)}) through rules and processes?`;
    case 'discard':
      return `Discard ${plural(action.ids.length, 'failed message')} (${listed(action.ids)})? They stay in the store, never replayed.`;
    case 'redrive':
      return `Redrive ${plural(action.ids.length, 'failed message')} (${listed(action.ids)}) to the source they were read from? Each is published there again, as it was.`;
    case 'set-checkpoint':
      return `Move the checkpoint of ${action.target.group} partition ${action.target.partition} to ${action.position}? The next read starts after it.`;
    case 'reset-checkpoints':
      return `Reset the checkpoint${action.targets.length === 1 ? '' : 's'} of ${action.targets[0]?.group ?? ''} partition${action.targets.length === 1 ? '' : 's'} ${listed(action.targets.map((t) => t.partition))} to ${action.to}?`;
    case 'drain':
      return `Drain ${action.label}? It stops taking work, finishes what is in flight, commits and exits.`;
  }
}

/** What the status line says while the action runs. */
export function labelFor(action: PendingAction): string {
  switch (action.kind) {
    case 'replay':
      return `replaying ${plural(action.ids.length, 'failed message')}`;
    case 'discard':
      return `discarding ${plural(action.ids.length, 'failed message')}`;
    case 'redrive':
      return `redriving ${plural(action.ids.length, 'failed message')} to their origin`;
    case 'set-checkpoint':
      return `moving the checkpoint of partition ${action.target.partition}`;
    case 'reset-checkpoints':
      return `resetting ${plural(action.targets.length, 'checkpoint')}`;
    case 'drain':
      return `draining ${action.label}`;
  }
}

/**
 * Runs an action through the action service and says how it ended, on one line. Errors (a refusal of a
 * read-only console, a partition a running agent owns, …) end as an error line with their hint.
 */
export async function runAction(
  actions: ConsoleActions,
  action: PendingAction,
  progress: (text: string) => void,
  signal: AbortSignal,
): Promise<StatusLine> {
  try {
    return await perform(actions, action, progress, signal);
  } catch (error) {
    return { tone: 'error', text: errorLine(error) };
  }
}

async function perform(
  actions: ConsoleActions,
  action: PendingAction,
  progress: (text: string) => void,
  signal: AbortSignal,
): Promise<StatusLine> {
  switch (action.kind) {
    case 'replay': {
      const summary = await actions.replay(action.ids, {
        signal,
        onProgress: (p) => progress(renderReplayProgress(p)),
      });
      const missing = action.ids.length - summary.selected;
      const text =
        oneLine(renderReplaySummary(summary)) +
        (missing > 0
          ? `; ${plural(missing, 'item')} not replayed: not pending, or of another agent group`
          : '');
      return { tone: summary.failedAgain > 0 || summary.selected === 0 ? 'error' : 'ok', text };
    }
    case 'discard': {
      const changed = await actions.discard(action.ids);
      return {
        tone: 'ok',
        text: `discarded ${plural(changed, 'failed message')} (kept in the store, never replayed)`,
      };
    }
    case 'redrive': {
      const summary = await actions.redrive(action.ids, {
        signal,
        onProgress: (p) => progress(renderRedriveProgress(p)),
      });
      return {
        tone: summary.failed > 0 || summary.redriven === 0 ? 'error' : 'ok',
        text: oneLine(renderRedriveSummary(summary)),
      };
    }
    case 'set-checkpoint':
      return changed(await actions.setCheckpoint(action.target, action.position));
    case 'reset-checkpoints':
      return changed(await actions.resetCheckpoints(action.targets, action.to));
    case 'drain': {
      const outcome = await actions.drain(action.agentId, {
        signal,
        onRequested: (agent, request) =>
          progress(renderDrainRequested(agent.id, request.id, DRAIN_TIMEOUT_MS)),
      });
      return outcome.kind === 'requested'
        ? {
            tone: 'ok',
            text: `${outcome.agent} is draining: it finishes what is in flight, commits and stops`,
          }
        : { tone: 'ok', text: oneLine(renderDrainResult(outcome.result)) };
    }
  }
}

function changed(result: Parameters<typeof renderCheckpointChange>[0]): StatusLine {
  return { tone: result.forced.length > 0 ? 'error' : 'ok', text: oneLine(renderCheckpointChange(result)) };
}

/** One line for any error: its message and, when it has one, what to try. */
export function errorLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const hint = (error as { hint?: unknown } | null)?.hint;
  return redactSecrets(`${message.split('\n')[0]}${typeof hint === 'string' ? ` — try: ${hint}` : ''}`);
}

/**
 * `e`: edits failed message `id` in $EDITOR (the terminal handed over by `suspend`), with the checks of
 * `failed edit`, and says how it ended on one line: saved (what changed), no change, or why it was
 * refused (every problem, and where the text was kept).
 */
export async function editInConsole(
  actions: ConsoleActions,
  id: number,
  suspend: <T>(run: () => T) => T,
): Promise<StatusLine> {
  try {
    const { plan, saved } = await actions.edit(id, { aroundEditor: suspend });
    if (!saved) return { tone: 'info', text: `failed message ${id}: no change` };
    const changes = editChanges(plan.item.raw, plan.outcome.raw).length;
    return {
      tone: 'ok',
      text: `edited failed message ${id} (${plural(changes, 'change')}): r replays the edit`,
    };
  } catch (error) {
    // Every line: an edit refused lists each problem and where the text was kept.
    const message = error instanceof Error ? error.message.split('\n').join(' ') : String(error);
    return {
      tone: 'error',
      text: errorLine(Object.assign(new Error(message), { hint: (error as { hint?: unknown }).hint })),
    };
  }
}
