import type { CheckpointPlan, PlannedMove } from '../../core/ops/checkpoint-moves.js';
import type { CheckpointMove } from '../../core/store/records.js';
import { plural, timestamp } from './format.js';
import { type Column, renderTable } from './table.js';

const NONE = '(none)';

function events(move: PlannedMove): string {
  if (move.direction === 'none') return '-';
  const what = move.direction === 'back' ? 're-read' : 'skipped';
  return move.events === undefined ? `unknown (${what})` : `${move.events} ${what}`;
}

/**
 * A checkpoint plan (`checkpoint set|reset`): per partition before → after, the records read again or
 * skipped, the running owner; then what was done, or that nothing was and how to apply it.
 */
export function renderCheckpointPlan(plan: CheckpointPlan): string {
  const columns: Column<PlannedMove>[] = [
    { header: 'PARTITION', value: (m) => m.partition },
    { header: 'BEFORE', value: (m) => m.before ?? NONE, align: 'right' },
    { header: 'AFTER', value: (m) => m.after ?? NONE, align: 'right' },
    { header: 'MOVE', value: (m) => m.direction },
    { header: 'EVENTS', value: events, align: 'right' },
    { header: 'OWNER', value: (m) => m.owner ?? '-' },
  ];
  const head = `${plan.executed ? 'moved' : 'plan'}: ${plan.group} on ${plan.source}, ${plan.target}`;
  const lines = [head, renderTable(columns, plan.changes, '  (no partitions)')];
  if (plan.changes.some((m) => m.before === undefined || m.after === undefined)) {
    lines.push(`${NONE}: no checkpoint — the partition is read from its start`);
  }
  for (const move of plan.changes) {
    if (move.note !== undefined) lines.push(`partition ${move.partition}: ${move.note}`);
  }
  if (plan.changes.some((m) => m.direction !== 'none' && m.events === undefined)) {
    lines.push('unknown: the source cannot count the records between two positions without reading them all');
  }
  lines.push(...(plan.executed ? executed(plan) : planned(plan)));
  return lines.join('\n');
}

function planned(plan: CheckpointPlan): string[] {
  const owned = plan.changes.filter((m) => m.owner !== undefined && m.before !== m.after);
  return [
    ...owned.map(
      (m) =>
        `warning: partition ${m.partition} is owned by the running agent ${m.owner}: --execute refuses it unless --force`,
    ),
    'nothing was changed: add --execute to apply this plan',
  ];
}

function executed(plan: CheckpointPlan): string[] {
  const history = plan.history ?? [];
  const done =
    history.length === 0
      ? 'nothing to change'
      : `${plural(history.length, 'checkpoint')} moved, recorded in the history (#${history[0]!.id}${history.length > 1 ? `–#${history.at(-1)!.id}` : ''}) by ${history[0]!.actor}`;
  return [
    done,
    ...plan.forced.map(
      (owner) =>
        `warning: partition ${owner.partition} is owned by the running agent ${owner.agent}; it keeps reading from where it is and may overwrite this checkpoint at its next commit`,
    ),
  ];
}

/** The checkpoint history (`checkpoint history`), newest first. */
export function renderCheckpointHistory(moves: readonly CheckpointMove[]): string {
  const columns: Column<CheckpointMove>[] = [
    { header: '#', value: (m) => String(m.id), align: 'right' },
    { header: 'WHEN', value: (m) => timestamp(m.at) },
    { header: 'WHO', value: (m) => m.actor },
    { header: 'GROUP', value: (m) => m.group },
    { header: 'SOURCE', value: (m) => m.source },
    { header: 'PARTITION', value: (m) => m.partition },
    { header: 'BEFORE', value: (m) => m.before ?? NONE, align: 'right' },
    { header: 'AFTER', value: (m) => m.after ?? NONE, align: 'right' },
    { header: 'WHY', value: (m) => m.reason ?? '-' },
    { header: 'COMMAND', value: (m) => m.command },
  ];
  return renderTable(columns, moves, '(no checkpoint moves recorded)');
}
