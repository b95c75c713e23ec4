import { durationOfRun, stepOfRun } from '../../core/filter/run-where.js';
import type { Effort, PublishAttempt } from '../../core/model/effort.js';
import type { RunRecord, StepAttempt, StepRecord } from '../../core/model/run-record.js';
import type { RunDetail } from '../../core/ops/runs/run-detail.js';
import type { FailedMessage } from '../../core/store/records.js';
import { renderPayload } from './failed.js';
import { age, count, duration, plural, timestamp, truncate } from './format.js';
import { printable } from './printable.js';
import { renderTable } from './table.js';

/**
 * The `runs list` table, newest first. Run ids are shown whole (they are what `runs show` takes); `limit`,
 * when reached, adds a hint that more may match.
 */
export function renderRunsTable(runs: readonly RunRecord[], limit?: number, now = Date.now()): string {
  const table = renderTable<RunRecord>(
    [
      { header: 'RUN', value: (r) => r.id },
      { header: 'STATE', value: (r) => r.state + (r.fatal ? ' (fatal)' : '') },
      { header: 'RULE/PROCESS', value: (r) => truncate(`${r.rule}/${r.process}`, 32) },
      { header: 'STEP', value: (r) => truncate(stepOfRun(r) ?? '-', 20) },
      { header: 'ATTEMPTS', value: (r) => count(r.attempts), align: 'right' },
      { header: 'EVENT', value: (r) => truncate(`${r.eventType}/${r.eventId}`, 40) },
      { header: 'UPDATED', value: (r) => age(r.updatedAt, now) },
      { header: 'ERROR', value: (r) => truncate((r.error ?? '').replace(/\s+/g, ' '), 60) },
    ],
    runs,
    'no runs match',
  );
  return runs.length === limit ? `${table}\n(newest ${count(limit)} shown: raise --limit for more)` : table;
}

/**
 * `runs show` (and the console's run detail), one line per entry: the run's fields, every step with every
 * attempt, the publish efforts with theirs, the parked items, and the event pretty-printed. Ids are whole.
 * Texts from the store are made printable; the caller redacts (see `runJson`).
 */
export function runDetailLines(detail: RunDetail, now = Date.now()): string[] {
  const { run } = detail;
  const took = durationOfRun(run);
  const fields: [string, string | number | undefined][] = [
    ['run', run.id],
    ['state', run.state + (run.fatal ? ' (fatal: not retried)' : '')],
    ['rule', run.rule],
    ['process', run.process],
    ['agent', run.group],
    ['event', `${run.eventType} ${run.eventId}`],
    [
      'source',
      run.origin === undefined
        ? undefined
        : `${run.origin.source}  partition ${run.origin.partition} @ ${run.origin.position}`,
    ],
    ['runner', run.worker === undefined ? run.runner : `${run.runner} (worker ${run.worker})`],
    ['created', `${timestamp(run.createdAt)} (${age(run.createdAt, now)})`],
    ['started', run.startedAt === undefined ? undefined : timestamp(run.startedAt)],
    [
      'finished',
      run.finishedAt === undefined ? undefined : `${timestamp(run.finishedAt)} (took ${duration(took)})`,
    ],
    ['step', run.currentStep],
    ['attempts', run.attempts],
    ['error', run.error],
  ];
  const width = Math.max(...fields.map(([name]) => name.length)) + 2;
  const lines = fields
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `${`${name}:`.padEnd(width)}${printable(String(value))}`);
  lines.push('', `steps (${run.steps.length}):`);
  if (detail.ledger)
    lines.push(
      '  (none kept: the run is stored as a compact ledger entry, a plain success without step detail)',
    );
  for (const step of run.steps) lines.push(...stepLines(step));
  lines.push('', `publish efforts (${detail.efforts.length}):`);
  for (const effort of detail.efforts) lines.push(...effortLines(effort));
  lines.push('', `parked (${detail.parked.length}):`);
  for (const item of detail.parked) lines.push(parkedLine(item));
  lines.push('', ...eventLines(detail));
  return lines;
}

function stepLines(step: StepRecord): string[] {
  const head = `  ${printable(step.name)}  ${step.state}  ${plural(step.attempts, 'attempt')}`;
  return [head, ...step.history.map(stepAttemptLine)];
}

function stepAttemptLine(a: StepAttempt): string {
  const outcome =
    a.error === undefined ? 'ok' : `${a.fatal ? 'failed (fatal)' : 'failed'}: ${printable(a.error)}`;
  return `    #${a.attempt}  ${timestamp(a.startedAt)}  ${duration(a.durationMs).padStart(6)}  ${outcome}`;
}

function effortLines(effort: Effort): string[] {
  const head =
    `  ${effort.id} → ${printable(effort.sink)}  ${effort.culmination}  ${plural(effort.attempts, 'attempt')}` +
    ` (${plural(effort.retries, 'retry').replace(/retrys$/, 'retries')})  record ${printable(effort.recordId)}`;
  return [head, ...effort.history.map(publishAttemptLine)];
}

function publishAttemptLine(a: PublishAttempt): string {
  const outcome = a.ok ? 'ok' : `failed: ${printable(a.error ?? 'unknown error')}`;
  return `    #${a.attempt}  ${timestamp(a.at)}  ${duration(a.durationMs).padStart(6)}  ${outcome}`;
}

function parkedLine(item: FailedMessage): string {
  const why = item.sink === undefined ? item.reason : `${item.reason} → ${item.sink}`;
  return `  ${item.id}  ${item.status}  ${printable(why)}  ${plural(item.attempts, 'attempt')}  ${printable(item.error)}  (agentctl failed show ${item.id})`;
}

function eventLines({ event }: RunDetail): string[] {
  if (event.stored === 'none') return ['event: not stored', `  ${printable(event.why)}`];
  const from = event.stored === 'parked' ? 'from the parked item' : 'from the local log';
  return [
    `event (${from}, ${plural(event.raw.byteLength, 'byte')}):`,
    ...renderPayload(event.raw).split('\n'),
  ];
}
