import type { ReplayFailedSummary, ReplayProgress } from '../../core/ops/replay-failed.js';
import type { ReplayRangeProgress, ReplayRangeSummary } from '../../core/ops/replay-range.js';
import { count, duration, plural } from './format.js';
import { progressBar } from './live-line.js';
import { renderTable } from './table.js';

/** The confirmation question before `replay --failed`. */
export function renderReplayQuestion(items: number): string {
  return `replay ${plural(items, 'failed item')}?`;
}

/** The confirmation question before `replay --from`. */
export function renderRangeQuestion(
  source: string,
  range: { readonly partition: string; readonly from: string; readonly to?: string },
): string {
  const to = range.to === undefined ? ' to its end' : ` to ${range.to}`;
  return `re-process ${source} partition ${range.partition} from ${range.from}${to}?`;
}

/** The live progress line of `replay --failed` on a terminal. */
export function renderReplayProgress(p: ReplayProgress): string {
  return `replaying ${progressBar(p.done, p.total)}  replayed ${count(p.replayed)}  failed ${count(p.failedAgain)}`;
}

export function renderRangeProgress(p: ReplayRangeProgress): string {
  return `re-processing  read ${count(p.read)}${p.position === undefined ? '' : `  at ${p.position}`}`;
}

function renderRuns(runs: ReplayFailedSummary['runs']): string {
  const skipped = runs.skipped > 0 ? `, ${count(runs.skipped)} skipped (already succeeded)` : '';
  return `runs: ${count(runs.succeeded)} succeeded, ${count(runs.failed)} failed${skipped}`;
}

/** What `replay --failed` did (or, for a dry run, would do). */
/** Items that failed again stay pending: said on stderr with the exit code scripts see. */
export function renderStillFailing(items: number, exitCode: number): string {
  const one = items === 1;
  return `${items} item${one ? '' : 's'} failed again and stay${one ? 's' : ''} pending (exit ${exitCode}): see agentctl failed list`;
}

export function renderReplaySummary(s: ReplayFailedSummary): string {
  if (s.selected === 0) return 'nothing to replay: no pending failed item matches';
  if (s.dryRun) {
    const table = renderTable(
      [
        { header: 'ID', value: (i: ReplayFailedSummary['items'][number]) => String(i.id), align: 'right' },
        { header: 'KIND', value: (i) => i.kind },
        { header: 'REASON', value: (i) => i.reason },
      ],
      s.items,
    );
    return `dry run: would replay ${plural(s.selected, 'item')}; nothing changed\n${table}`;
  }
  const failed = s.items.filter((i) => i.outcome === 'failed');
  const lines = [
    `replayed ${count(s.replayed)} of ${plural(s.selected, 'item')} in ${duration(s.durationMs)}` +
      (s.failedAgain > 0 ? `; ${count(s.failedAgain)} failed again (still pending)` : ''),
    `  ${renderRuns(s.runs)}; ${count(s.delivered)} published`,
    ...failed.slice(0, 20).map((i) => `  #${i.id} ${i.reason}: ${i.error ?? 'failed'}`),
  ];
  if (failed.length > 20) lines.push(`  … and ${count(failed.length - 20)} more (agentctl failed list)`);
  if (s.interrupted) lines.push('  interrupted: the remaining items are still pending');
  return lines.join('\n');
}

/** What `replay --from` did. */
export function renderRangeSummary(s: ReplayRangeSummary): string {
  const range = `${s.from}..${s.last ?? s.from}`;
  return [
    `re-processed ${plural(s.read, 'message')} of ${s.source} partition ${s.partition} (${range}) in ${duration(s.durationMs)}; checkpoints untouched`,
    `  processed ${count(s.processed)}, unmatched ${count(s.unmatched)}, parked ${count(s.parked)}`,
    `  ${renderRuns(s.runs)}${s.rerun ? ' (--rerun)' : ''}; ${count(s.delivered)} published${s.publishGiveUps > 0 ? `, ${count(s.publishGiveUps)} parked for replay` : ''}`,
  ].join('\n');
}
