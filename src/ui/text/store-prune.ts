import { PRUNE_KINDS, type PruneReport } from '../../core/ops/store-prune.js';
import { count, timestamp } from './format.js';
import { renderTable } from './table.js';

type LogPartition = PruneReport['log'][number];

/** The summary of `store prune`: what went (or would go) per kind, how far each log partition, and who holds it. */
export function renderStorePrune(report: PruneReport): string {
  const verb = report.dryRun ? 'would delete' : 'deleted';
  const kinds = PRUNE_KINDS.filter((kind) => report.deleted[kind] !== undefined);
  const lines = [
    `${verb}, older than ${timestamp(report.before)}:`,
    ...kinds.map((kind) => `  ${kind.padEnd(8)} ${count(report.deleted[kind]).padStart(12)}`),
  ];
  if (report.log.length > 0) {
    lines.push(
      '',
      renderTable<LogPartition>(
        [
          { header: 'TOPIC', value: (p) => p.topic },
          { header: 'PARTITION', value: (p) => String(p.partition), align: 'right' },
          {
            header: 'THROUGH',
            value: (p) => (p.through === undefined ? 'kept whole' : String(p.through)),
            align: 'right',
          },
          { header: 'HELD BY', value: heldBy },
          { header: 'RECORDS', value: (p) => count(p.records), align: 'right' },
        ],
        report.log,
      ),
    );
  }
  if (report.dryRun) lines.push('', 'dry run: nothing was deleted');
  return lines.join('\n');
}

/** The group whose position is the partition's floor, and why when it keeps the partition whole. */
function heldBy(p: LogPartition): string {
  if (p.heldBy === undefined) return 'no group reads it';
  return p.through === undefined ? `${p.heldBy} (no checkpoint here yet)` : p.heldBy;
}
