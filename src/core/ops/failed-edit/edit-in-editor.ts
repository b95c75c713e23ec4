import { UsageError } from '../../errors/usage-error.js';
import type { FailedMessage } from '../../store/records.js';
import type { StateStore } from '../../store/state-store.js';
import { type EditAuthor, type PlannedEdit, refusedEdit, requireEditable, saveEdit } from './edit-failed.js';
import { type EditMode, editableText, notEditableReason, outcomeOfText } from './edit-text.js';
import { editInEditor } from './editor-session.js';

export interface EditInEditorOptions {
  readonly mode: EditMode;
  readonly author: EditAuthor;
  /** Open the editor on this text instead of the item's (to take up an edit that was refused). */
  readonly startText?: string;
  /** Show what the edit would change, save nothing. */
  readonly dryRun?: boolean;
  /** The environment the editor is looked up in and run with (default: this process's). */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Runs the (blocking) editor call: a UI holding the terminal gives it up before and takes it back
   * after (the console's `e`). Default: the call as it is.
   */
  readonly aroundEditor?: <T>(run: () => T) => T;
}

/** How an edit in the editor ended. `saved` is false for a dry run and for an edit that changed nothing. */
export interface EditInEditorResult {
  readonly item: FailedMessage;
  readonly plan: PlannedEdit;
  readonly saved: boolean;
}

/**
 * `failed edit ID` (and the console's `e`): opens the user's editor on a pending item, as a CloudEvent
 * in pretty JSON or (`raw`) as text, in a private temporary file; checks what was saved and writes it
 * (see `saveEdit`). The temporary file is removed, except when the edit is refused: then it is kept and
 * its path is in the error, so the user's work is not lost.
 * Blocks while the editor runs (see `editInEditor`).
 * @throws NotFoundError for an unknown id; UsageError, nothing changed, for an item that is not pending
 *   or cannot be shown in this mode, an editor that fails, an edit that is not a valid CloudEvent (every
 *   problem listed), or an item changed by someone else meanwhile.
 */
export async function editFailedInEditor(
  store: StateStore,
  id: number,
  options: EditInEditorOptions,
): Promise<EditInEditorResult> {
  const item = await requireEditable(store, id);
  const text = options.startText ?? editableText(item.raw, options.mode);
  if (text === undefined) {
    const { why, hint } = notEditableReason(options.mode);
    throw new UsageError(
      `failed item ${id} cannot be edited ${options.mode === 'raw' ? 'as text' : 'as a CloudEvent'}: ${why}`,
      {
        hint: hint.replace('ID', String(id)),
      },
    );
  }
  const name = `failed-${id}.${options.mode === 'raw' ? 'txt' : 'json'}`;
  const around = options.aroundEditor ?? ((run) => run());
  const file = around(() => editInEditor(text, name, options.env));
  const outcome = outcomeOfText(file.text, options.mode, item.raw);
  if (!outcome.ok) {
    throw refusedEdit(
      `the edit of failed item ${id} is not a valid CloudEvent`,
      outcome.problems,
      [`your edit is kept in ${file.path}`],
      `fix it there and run agentctl failed edit ${id} --from ${file.path}`,
    );
  }
  const plan: PlannedEdit = { item, outcome };
  if (options.dryRun === true || !outcome.changed) {
    file.remove();
    return { item, plan, saved: false };
  }
  if (!(await saveEdit(store, plan, options.author))) {
    throw new UsageError(
      `failed item ${id} was edited, replayed or discarded while you edited it; nothing changed\nyour edit is kept in ${file.path}`,
      { hint: `agentctl failed show ${id}, then agentctl failed edit ${id} --from ${file.path}` },
    );
  }
  file.remove();
  return { item, plan, saved: true };
}
