import type { CheckpointRow } from '../../core/ops/checkpoint-list.js';
import type { CheckpointChangeResult } from '../../core/ops/checkpoint-moves.js';
import { age, compact, duration } from './format.js';
import { type Column, renderTable } from './table.js';

function lag(row: CheckpointRow): string {
  if (row.lagRecords === undefined && row.lagMs === undefined) return '-';
  const records = row.lagRecords === undefined ? '' : compact(row.lagRecords);
  const behind = row.lagMs === undefined ? '' : `${records ? ' ' : ''}(${duration(row.lagMs)})`;
  return `${records}${behind}`;
}

/**
 * The checkpoints table. Group and source are columns only when the rows span several of them;
 * otherwise they head the table.
 */
export function renderCheckpoints(rows: readonly CheckpointRow[], now = Date.now()): string {
  const groups = new Set(rows.map((r) => r.group));
  const sources = new Set(rows.map((r) => r.source));
  const wide = groups.size > 1 || sources.size > 1;
  const columns: Column<CheckpointRow>[] = [
    ...(wide
      ? [
          { header: 'GROUP', value: (r: CheckpointRow) => r.group },
          { header: 'SOURCE', value: (r: CheckpointRow) => r.source },
        ]
      : []),
    { header: 'PARTITION', value: (r) => r.partition },
    {
      header: 'CHECKPOINT',
      value: (r) => r.position ?? (r.keptBy === 'broker' ? '(broker)' : '(none)'),
      align: 'right',
    },
    { header: 'LATEST', value: (r) => r.latest ?? '-', align: 'right' },
    { header: 'LAG', value: lag, align: 'right' },
    { header: 'STATE', value: (r) => r.state ?? '-' },
    { header: 'OWNER', value: (r) => r.owner ?? '-' },
    {
      header: 'UPDATED',
      value: (r) => (r.updatedAt === undefined ? '-' : `${age(r.updatedAt, now)} by ${r.writtenBy ?? '?'}`),
    },
  ];
  const table = renderTable(columns, rows, '(no checkpoints)');
  const note = rows.some((r) => r.keptBy === 'broker')
    ? '\n(broker): the broker keeps the position (acked messages are gone, unacked ones are delivered again)'
    : '';
  if (wide || rows.length === 0) return `${table}${note}`;
  return `${rows[0]!.group} on ${rows[0]!.source}\n${table}${note}`;
}

/** What `checkpoint set` / `checkpoint reset` changed, and the running agents it overrode. */
export function renderCheckpointChange(result: CheckpointChangeResult): string {
  const lines = [`${result.group} on ${result.source}:`];
  for (const change of result.changes) {
    const after = change.after ?? '(none: read from the start next time)';
    lines.push(`  partition ${change.partition}: ${change.before ?? '(none)'} → ${after}`);
  }
  if (result.changes.length === 0) lines.push('  nothing to change');
  for (const owner of result.forced) {
    lines.push(
      `warning: partition ${owner.partition} is owned by the running agent ${owner.agent}; it keeps reading from where it is and may overwrite this checkpoint at its next commit`,
    );
  }
  return lines.join('\n');
}
