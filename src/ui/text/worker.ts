import type { WorkerPlan } from '../../core/remote/worker-from-config.js';
import type { WorkerSummary } from '../../core/remote/worker-service.js';
import { count, duration } from './format.js';

/** The line `agentctl worker` prints when it starts. */
export function renderWorkerStarted(id: string, plan: WorkerPlan): string {
  return [
    `worker ${id}: consuming ${plan.tasks} on ${plan.broker} (concurrency ${plan.concurrency})`,
    `  processes: ${plan.processes.join(', ') || 'none'}; results outbox ${plan.outbox}`,
    '  Ctrl-C drains (finish running tasks, publish results); press it again to stop at once',
  ].join('\n');
}

/** The human summary printed when `agentctl worker` ends. */
export function renderWorkerSummary(s: WorkerSummary): string {
  const lines = [
    `${s.worker} stopped after ${duration(s.durationMs)}`,
    `  executed ${count(s.executed)} (${count(s.succeeded)} succeeded, ${count(s.failed)} failed), ${count(s.duplicates)} already done`,
    `  results published ${count(s.published)}${s.waiting > 0 ? `, ${count(s.waiting)} kept in the outbox for the next start` : ''}`,
  ];
  if (s.malformed > 0) lines.push(`  ${count(s.malformed)} unreadable task(s) rejected`);
  return lines.join('\n');
}
