import { type Clock, systemClock } from '../../clock.js';
import { UsageError } from '../../errors/usage-error.js';
import type { Where } from '../../filter/where.js';
import type { FailedFilter, FailedMessage } from '../../store/records.js';
import type { StateStore } from '../../store/state-store.js';
import type { Bytes } from '../../types.js';
import { matchingFailed, requireFailed } from '../failed-items.js';
import { type EditOutcome, outcomeOfPatch } from './edit-text.js';
import { EDIT_VIA } from './item-edits.js';

/** Who makes an edit and how, as the item's history records it. */
export interface EditAuthor {
  /** `user@host` (see `editorIdentity`). */
  readonly by: string;
  /** `editor`, `editor --raw`, `--patch`, `console`: how the edit was made. */
  readonly how: string;
  readonly clock?: Clock;
}

/** An item and the edit planned for it (its new bytes and the event id and type they carry). */
export interface PlannedEdit {
  readonly item: FailedMessage;
  readonly outcome: EditOutcome & { readonly ok: true };
}

/**
 * The pending item with this id.
 * @throws NotFoundError when there is none; UsageError when it is replayed or discarded (only items
 *   still waiting for a replay can be edited).
 */
export async function requireEditable(store: StateStore, id: number): Promise<FailedMessage> {
  const item = await requireFailed(store, id);
  if (item.status !== 'pending') {
    throw new UsageError(`failed item ${id} is ${item.status}: only pending items can be edited`, {
      hint: 'agentctl failed list (lists the pending items)',
    });
  }
  return item;
}

/**
 * Writes a planned edit: the item's bytes become the new ones and its history keeps the bytes replaced
 * (the first edit keeps the original), with when, by whom and how. Returns false, writing nothing, when
 * the item was edited, replayed or discarded since it was read.
 */
export async function saveEdit(store: StateStore, plan: PlannedEdit, author: EditAuthor): Promise<boolean> {
  const { item, outcome } = plan;
  const previous = Buffer.from(item.raw);
  const entry = {
    at: (author.clock ?? systemClock).now(),
    error: `edited by ${author.by} (${author.how}; ${previous.byteLength} → ${outcome.raw.byteLength} bytes)`,
    via: EDIT_VIA,
    by: author.by,
    previousBase64: previous.toString('base64'),
  };
  return store.failed.edit(item.id, item.raw, {
    raw: outcome.raw,
    // A publish failure's bytes are a record, not the event its id and type name: those stay.
    ...(item.kind === 'event' && outcome.eventId !== undefined ? { eventId: outcome.eventId } : {}),
    ...(item.kind === 'event' && outcome.eventType !== undefined ? { eventType: outcome.eventType } : {}),
    entry,
  });
}

/** The edits a bulk change plans: the items it changes, those it leaves as they are, those it cannot. */
export interface BulkPlan {
  readonly planned: PlannedEdit[];
  readonly unchanged: number[];
  readonly refused: { readonly id: number; readonly problems: readonly string[] }[];
}

/**
 * Plans `edit` over the pending items of `filter` that `where` (when given) matches, in id order. Nothing
 * is written: the caller saves the plan only when nothing was refused, so a bulk edit is all or nothing.
 */
export async function planBulkEdit(
  store: StateStore,
  selection: { readonly filter: FailedFilter; readonly where?: Where<FailedMessage> | undefined },
  edit: (raw: Bytes) => EditOutcome,
): Promise<BulkPlan> {
  const plan: BulkPlan = { planned: [], unchanged: [], refused: [] };
  for await (const item of matchingFailed(
    store,
    { ...selection.filter, status: 'pending' },
    selection.where,
  )) {
    const outcome = edit(item.raw);
    if (!outcome.ok) plan.refused.push({ id: item.id, problems: outcome.problems });
    else if (!outcome.changed) plan.unchanged.push(item.id);
    else plan.planned.push({ item, outcome });
  }
  return plan;
}

/** Saves planned edits; returns the ids saved and those that changed meanwhile (left as they are). */
export async function saveEdits(
  store: StateStore,
  plans: readonly PlannedEdit[],
  author: EditAuthor,
): Promise<{ readonly edited: number[]; readonly changedMeanwhile: number[] }> {
  const edited: number[] = [];
  const changedMeanwhile: number[] = [];
  for (const plan of plans) {
    if (await saveEdit(store, plan, author)) edited.push(plan.item.id);
    else changedMeanwhile.push(plan.item.id);
  }
  return { edited, changedMeanwhile };
}

/**
 * The error of an edit that is refused, nothing changed: every problem on a line of its own, then
 * `after` (where the user's text was kept).
 */
export function refusedEdit(
  what: string,
  problems: readonly string[],
  after: readonly string[] = [],
  hint?: string,
): UsageError {
  return new UsageError(
    [`${what}; nothing changed:`, ...problems.map((problem) => `- ${problem}`), ...after].join('\n'),
    hint === undefined ? {} : { hint },
  );
}

/**
 * `failed edit ID --patch JSON`: applies an RFC 7386 merge patch to a pending item's CloudEvent and saves
 * the result (unless `dryRun`, or it changes nothing). Returns the plan and whether it was saved.
 * @throws NotFoundError, or UsageError (nothing changed) when the item is not pending, the patched event
 *   is not valid, or the item changed meanwhile.
 */
export async function patchFailed(
  store: StateStore,
  id: number,
  patch: unknown,
  options: { readonly author: EditAuthor; readonly dryRun?: boolean },
): Promise<{ readonly plan: PlannedEdit; readonly saved: boolean }> {
  const item = await requireEditable(store, id);
  const outcome = outcomeOfPatch(patch, item.raw);
  if (!outcome.ok)
    throw refusedEdit(`the patch of failed item ${id} does not give a valid CloudEvent`, outcome.problems);
  const plan = { item, outcome };
  if (options.dryRun === true || !outcome.changed) return { plan, saved: false };
  if (!(await saveEdit(store, plan, options.author))) {
    throw new UsageError(`failed item ${id} was edited, replayed or discarded meanwhile; nothing changed`, {
      hint: `agentctl failed show ${id}`,
    });
  }
  return { plan, saved: true };
}

/** What a bulk patch did (or, with `dryRun`, would do). */
export interface BulkEditResult {
  /** The edits planned, each with the item as it was (for a diff). */
  readonly planned: readonly PlannedEdit[];
  readonly edited: readonly number[];
  readonly unchanged: readonly number[];
  readonly changedMeanwhile: readonly number[];
}

/**
 * `failed edit --where … --patch JSON`: applies a merge patch to every pending item selected, all or
 * nothing: when the patch makes any item invalid (or an item is not JSON), nothing is written and the
 * error lists them (the first 20). `confirm` is asked with the number of items to change before anything
 * is written (not for a dry run, nor when nothing would change).
 * @throws UsageError (nothing changed) for refused items, or what `confirm` throws.
 */
export async function patchFailedItems(
  store: StateStore,
  selection: { readonly filter: FailedFilter; readonly where?: Where<FailedMessage> | undefined },
  patch: unknown,
  options: {
    readonly author: EditAuthor;
    readonly dryRun?: boolean;
    readonly confirm?: (items: number) => Promise<void>;
  },
): Promise<BulkEditResult> {
  const plan = await planBulkEdit(store, selection, (raw) => outcomeOfPatch(patch, raw));
  if (plan.refused.length > 0) {
    const problems = plan.refused
      .slice(0, 20)
      .map(({ id, problems }) => `item ${id}: ${problems.join('; ')}`);
    if (plan.refused.length > 20) problems.push(`… and ${plan.refused.length - 20} more`);
    throw refusedEdit(
      `the patch does not give a valid CloudEvent for ${plan.refused.length} of the items selected`,
      problems,
      [],
      'narrow the selection with --where, or fix the patch',
    );
  }
  const { planned, unchanged } = plan;
  if (options.dryRun === true)
    return { planned, edited: planned.map((p) => p.item.id), unchanged, changedMeanwhile: [] };
  if (planned.length > 0) await options.confirm?.(planned.length);
  return { planned, unchanged, ...(await saveEdits(store, planned, options.author)) };
}
