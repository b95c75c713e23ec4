import type { CopyProgress, CopyReport } from '../../core/ops/store-copy/copy-store.js';
import type { VerifyKind, VerifyReport } from '../../core/ops/store-copy/verify-copy.js';
import { count } from './format.js';
import { renderTable } from './table.js';

/** The live line while one kind of record is copied. */
export function renderCopyProgress(p: CopyProgress): string {
  return `copying ${p.kind}: ${p.copied} copied, ${p.skipped} already there`;
}

/** The live line while the copy's counts are compared. */
export const VERIFYING = 'verifying counts…';

export interface StoreCopyView extends CopyReport {
  readonly from: string;
  readonly to: string;
  readonly verified: VerifyReport;
}

interface Row {
  readonly kind: VerifyKind;
  readonly copied: number;
  readonly skipped: number;
  readonly source: number;
  readonly target: number;
  readonly ok: boolean;
}

/** The summary of `store copy`: per kind what was copied, what was there already, and both counts. */
export function renderStoreCopy(view: StoreCopyView): string {
  const rows: Row[] = (Object.keys(view.verified.counts) as VerifyKind[]).map((kind) => {
    const parts = kind === 'runs' ? [view.counts.runs, view.counts.ledger] : [view.counts[kind]];
    return {
      kind,
      copied: parts.reduce((sum, c) => sum + c.copied, 0),
      skipped: parts.reduce((sum, c) => sum + c.skipped, 0),
      ...view.verified.counts[kind],
    };
  });
  const table = renderTable<Row>(
    [
      { header: 'KIND', value: (r) => r.kind },
      { header: 'COPIED', value: (r) => count(r.copied), align: 'right' },
      { header: 'ALREADY THERE', value: (r) => count(r.skipped), align: 'right' },
      { header: 'SOURCE', value: (r) => count(r.source), align: 'right' },
      { header: 'TARGET', value: (r) => count(r.target), align: 'right' },
      { header: '', value: (r) => (r.ok ? '' : 'MISSING') },
    ],
    rows,
  );
  const lines = [`copied ${view.from} → ${view.to} (leases are not copied)`, '', table];
  if (view.conflicts.length > 0) {
    lines.push('', 'kept as the target has them:', ...view.conflicts.map((c) => `  ${c}`));
  }
  lines.push(
    '',
    view.verified.ok
      ? 'verified: the target holds everything the source holds'
      : 'verification failed: the target holds fewer of some kinds than the source (see MISSING)',
  );
  return lines.join('\n');
}
