import type { DrainResult } from '../../core/ops/drain.js';
import { count, duration } from './format.js';

function numberOf(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

/** Printed while waiting: which agent was asked, and for how long we wait. */
export function renderDrainRequested(agent: string, request: number, timeoutMs: number): string {
  return `asked ${agent} to drain (request #${request}); waiting up to ${duration(timeoutMs)}…`;
}

/** What the drained agent reported when it stopped. */
export function renderDrainResult(drained: DrainResult): string {
  const r = drained.result;
  const runs = typeof r.runs === 'object' && r.runs !== null ? (r.runs as Record<string, unknown>) : {};
  const runText = Object.entries(runs)
    .filter(([, n]) => numberOf(n) !== undefined && numberOf(n)! > 0)
    .map(([state, n]) => `${count(numberOf(n))} ${state}`)
    .join(', ');
  const lines = [
    `${drained.agent.id} drained in ${duration(drained.waitedMs)} and stopped${typeof r.stoppedBy === 'string' ? ` (${r.stoppedBy})` : ''}`,
    `  read ${count(numberOf(r.read))}, processed ${count(numberOf(r.processed))}, parked ${count(numberOf(r.parked))}; ${count(numberOf(r.commits))} commits`,
  ];
  if (runText) lines.push(`  runs: ${runText}`);
  return lines.join('\n');
}
