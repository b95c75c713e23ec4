import { editChanges } from '../../core/ops/failed-edit/edit-diff.js';
import type { Bytes } from '../../core/types.js';
import { count } from './format.js';
import { printable } from './printable.js';

/** The diff of one item's edit (`failed edit --dry-run`, and after an edit): `~` changed, `-` removed, `+` added. */
export function renderEditChanges(id: number, before: Bytes, after: Bytes): string {
  const changes = editChanges(before, after);
  if (changes.length === 0) return `item ${id}: no change`;
  const lines = changes.map(({ path, before, after }) => {
    const at = path === '' ? '(payload)' : path;
    if (before === undefined) return `  + ${at}: ${after}`;
    if (after === undefined) return `  - ${at}: ${before}`;
    return `  ~ ${at}: ${before} → ${after}`;
  });
  return printable([`item ${id}:`, ...lines].join('\n'));
}

/** What a bulk edit will do, to confirm. */
export function renderEditQuestion(items: number): string {
  return `edit ${count(items)} pending failed item${items === 1 ? '' : 's'}?`;
}

/** The summary of an edit: how many items were edited, left as they were, changed by someone else. */
export function renderEdited(
  summary: { readonly edited: number; readonly unchanged: number; readonly changedMeanwhile: number },
  dryRun = false,
): string {
  const { edited, unchanged, changedMeanwhile } = summary;
  const others = [
    unchanged > 0 ? `${count(unchanged)} unchanged` : '',
    changedMeanwhile > 0 ? `${count(changedMeanwhile)} changed meanwhile, left as they are` : '',
  ].filter((part) => part !== '');
  const head = `${dryRun ? 'would edit' : 'edited'} ${count(edited)} item${edited === 1 ? '' : 's'}`;
  return `${head}${others.length > 0 ? ` (${others.join(', ')})` : ''}${dryRun ? ' — dry run, nothing changed' : ''}${edited > 0 && !dryRun ? ': the next replay --failed uses the edited bytes' : ''}`;
}
