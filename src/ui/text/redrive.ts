import type { RedriveProgress, RedriveSummary } from '../../core/ops/redrive/redrive-origin.js';
import { count, duration, plural } from './format.js';
import { progressBar } from './live-line.js';
import { renderTable } from './table.js';

/** The confirmation question before `replay --failed --to-origin`. */
export function renderRedriveQuestion(items: number, origin: string): string {
  return `redrive ${plural(items, 'failed item')} to ${origin}?`;
}

/** The live progress line of a redrive on a terminal (the replay's bar). */
export function renderRedriveProgress(p: RedriveProgress): string {
  return `redriving ${progressBar(p.done, p.total)}  confirmed ${count(p.redriven)}  failed ${count(p.failed)}`;
}

type Item = RedriveSummary['items'][number];

/** What a redrive did, or for a dry run where each item would go. */
export function renderRedriveSummary(s: RedriveSummary): string {
  if (s.selected === 0) return 'nothing to redrive: no pending failed item matches';
  if (s.dryRun) {
    const table = renderTable(
      [
        { header: 'ID', value: (i: Item) => String(i.id), align: 'right' },
        { header: 'EVENT', value: (i) => i.eventId ?? '' },
        {
          header: 'TO',
          value: (i) => (i.outcome === 'planned' ? (i.to ?? '') : `not redriven: ${i.error ?? ''}`),
        },
      ],
      s.items,
    );
    const planned = s.items.filter((i) => i.outcome === 'planned').length;
    return `dry run: would redrive ${plural(planned, 'item')} to ${s.origin}; nothing changed\n${table}`;
  }
  const failed = s.items.filter((i) => i.outcome !== 'redriven' && i.error !== undefined);
  const lines = [
    `redrove ${count(s.redriven)} of ${plural(s.selected, 'item')} to ${s.origin} in ${duration(s.durationMs)}, each confirmed` +
      (s.failed > 0 ? `; ${count(s.failed)} not redriven (still pending)` : '') +
      (s.skipped > 0 ? `; ${count(s.skipped)} skipped` : ''),
    ...failed.slice(0, 20).map((i) => `  #${i.id}: ${i.error}`),
  ];
  if (failed.length > 20) lines.push(`  … and ${count(failed.length - 20)} more (agentctl failed list)`);
  if (s.interrupted) lines.push('  interrupted: the remaining items are still pending');
  return lines.join('\n');
}
