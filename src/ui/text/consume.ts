import type { AgentSummary } from '../../core/agent/agent.js';
import type { ConsumeProgress } from '../../core/model/status-snapshot.js';
import type { StartPosition } from '../../core/types.js';
import { compact, count, duration } from './format.js';

/** The live one-line progress of `consume` on a terminal. */
export function renderProgressLine(p: ConsumeProgress): string {
  const lag = p.lag === undefined ? '' : `  lag ${compact(p.lag)}`;
  return `${p.state.toLowerCase()}  ${compact(p.perSecond)}/s  read ${compact(p.read)}  done ${compact(p.processed)}  parked ${compact(p.parked)}${lag}`;
}

function describeStart(start: StartPosition): string {
  switch (start.kind) {
    case 'earliest':
    case 'latest':
      return start.kind;
    case 'after':
      return `after ${start.position}`;
    case 'at':
      return `at ${start.position}`;
    case 'timestamp':
      return `at ${new Date(start.ms).toISOString()}`;
  }
}

/**
 * Which partitions started from the initial position (no checkpoint), for the operator to see; for a
 * queue whose position the broker keeps, that it does.
 */
export function renderInitialStarts(
  starts: Readonly<Record<string, { start: StartPosition; initial: boolean }>>,
  keptBy: 'store' | 'broker' = 'store',
): string | undefined {
  if (keptBy === 'broker') {
    const queues = Object.keys(starts);
    if (queues.length === 0) return undefined;
    return `reading ${queues.join(', ')}: the broker keeps the position (acked messages are gone, unacked ones are delivered again)`;
  }
  const initial = Object.entries(starts).filter(([, s]) => s.initial);
  if (initial.length === 0) return undefined;
  return `no checkpoint for ${initial.map(([p, s]) => `${p} (${describeStart(s.start)})`).join(', ')}: started from the initial position`;
}

/** The human summary printed when `consume` ends. */
export function renderConsumeSummary(s: AgentSummary): string {
  const runs = Object.entries(s.runs)
    .filter(([, n]) => n > 0)
    .map(([state, n]) => `${count(n)} ${state}`)
    .join(', ');
  return [
    `${s.agent} stopped (${s.stoppedBy}) after ${duration(s.durationMs)}`,
    `  read ${count(s.read)}, processed ${count(s.processed)}, unmatched ${count(s.unmatched)}, parked ${count(s.parked)}`,
    `  runs: ${runs || 'none'}${s.skippedRuns > 0 ? ` (${count(s.skippedRuns)} skipped: already succeeded)` : ''}`,
    `  published ${count(s.delivered)}${s.publishGiveUps > 0 ? `, ${count(s.publishGiveUps)} parked for replay` : ''}; ${count(s.commits)} commits`,
  ].join('\n');
}
