import type { PublishResult } from '../../core/ops/publish-events.js';

/** The line `agentctl publish` prints: how many events went where, and their spread over partitions. */
export function renderPublished(result: PublishResult): string {
  const spread = Object.entries(result.partitions)
    .map(([p, n]) => `${p}:${n}`)
    .join(' ');
  const events = `${result.published} event${result.published === 1 ? '' : 's'}`;
  return `published ${events} to ${result.target}${spread ? ` (partitions ${spread})` : ''}`;
}

/** The note on the empty lines `publish --raw` skipped (the first ten line numbers). */
export function renderSkippedLines(lines: readonly number[]): string {
  const shown = lines.slice(0, 10).join(', ') + (lines.length > 10 ? ', …' : '');
  const s = lines.length === 1 ? '' : 's';
  return `skipped ${lines.length} empty line${s} (line${s} ${shown})`;
}
