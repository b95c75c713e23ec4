import type { StatusReport } from '../../core/ops/status.js';
import { age, compact, count, duration, truncate } from './format.js';
import { renderTable } from './table.js';

/** The last error of each agent that has one (an OFFLINE agent says why), under the agents table. */
function agentErrors(report: StatusReport): string {
  const lines = report.agents
    .filter((a) => a.lastError !== undefined)
    .map((a) => `  ${a.id}: ${truncate(a.lastError!, 160)}`);
  return lines.length === 0 ? '' : `\nlast error\n${lines.join('\n')}`;
}

/** The enhanced fan-out consumers partitions are read as (Kinesis `?consumer=`), under the partitions table. */
function streamConsumers(report: StatusReport): string {
  const seen = new Map<string, string>();
  for (const p of report.partitions) {
    const name = p.detail?.consumer;
    if (typeof name === 'string')
      seen.set(`${p.source}\u0000${name}`, `  consumer ${name}  ${p.detail?.consumerArn ?? ''}`);
  }
  return seen.size === 0 ? '' : `\nenhanced fan-out\n${[...seen.values()].join('\n')}`;
}

/** Each STALLED partition: since when, where, and the run, step and attempt it waits on. */
function stalls(report: StatusReport, now: number): string {
  const lines = report.partitions.flatMap((p) => {
    const s = p.stall;
    if (s === undefined) return [];
    const run = s.run
      ? `  run ${truncate(s.run.id, 32)} step ${s.run.step ?? '-'} attempt ${s.run.stepAttempts}`
      : '';
    const why = s.reason === 'stuck-step' ? 'step running too long' : 'no progress';
    return [
      `  ${p.group} ${truncate(p.partition, 24)}: ${why} since ${age(s.since, now)}, at ${s.position ?? '-'}` +
        `${s.waitingOn === undefined ? '' : ` waiting on ${s.waitingOn}`}${run}`,
    ];
  });
  return lines.length === 0 ? '' : `\nstalled\n${lines.join('\n')}`;
}

/** What `status --exit-code` exits 3 for, last. */
function problems(report: StatusReport): string {
  const lines = report.health.problems;
  return lines.length === 0 ? '' : `PROBLEMS\n${lines.map((l) => `  ${l}`).join('\n')}`;
}

/** The human form of `agentctl status`. */
export function renderStatus(report: StatusReport, now = report.takenAt): string {
  const sections: string[] = [];
  sections.push(`store  ${report.store.kind} ${report.store.location}`);
  sections.push(
    `AGENTS\n${renderTable(
      [
        { header: 'AGENT', value: (a) => a.id },
        {
          header: 'STATE',
          value: (a) => (a.stateSince === undefined ? a.state : `${a.state} ${duration(now - a.stateSince)}`),
        },
        { header: 'SOURCE', value: (a) => truncate(a.source, 40) },
        { header: 'RATE', value: (a) => `${compact(a.perSecond)}/s`, align: 'right' },
        { header: 'READ', value: (a) => compact(a.counters?.read), align: 'right' },
        { header: 'PARKED', value: (a) => compact(a.counters?.parked), align: 'right' },
        { header: 'UP', value: (a) => duration(a.upMs) },
        { header: 'HEARTBEAT', value: (a) => age(a.heartbeatAt, now) },
      ],
      report.agents,
      '(no agent has run against this store)',
    )}${agentErrors(report)}`,
  );
  sections.push(
    `PARTITIONS\n${renderTable(
      [
        { header: 'GROUP', value: (p) => p.group },
        { header: 'SOURCE', value: (p) => truncate(p.source, 32) },
        { header: 'PARTITION', value: (p) => truncate(p.partition, 24) },
        { header: 'STATE', value: (p) => (p.stall ? `STALLED ${duration(p.stall.forMs)}` : p.state) },
        { header: 'COMMITTED', value: (p) => truncate(p.committed ?? '-', 20), align: 'right' },
        { header: 'LATEST', value: (p) => truncate(p.latest ?? '-', 20), align: 'right' },
        {
          header: 'LAG',
          value: (p) =>
            p.lagMs !== undefined
              ? duration(p.lagMs)
              : p.lagRecords !== undefined
                ? compact(p.lagRecords)
                : '-',
          align: 'right',
        },
        {
          header: 'DEPTH',
          value: (p) =>
            p.depth ? `${compact(p.depth.ready)}/${compact(p.depth.unacked)}/${p.depth.consumers}` : '-',
        },
        { header: 'OWNER', value: (p) => p.owner ?? '-' },
      ],
      report.partitions,
    )}${streamConsumers(report)}${stalls(report, now)}`,
  );
  sections.push(
    `RUNS\n${renderTable(
      [
        { header: 'PROCESS', value: (r) => r.process },
        { header: 'STATE', value: (r) => r.state },
        { header: 'COUNT', value: (r) => count(r.count), align: 'right' },
      ],
      report.runs.byProcess,
    )}`,
  );
  if (report.runs.active.length > 0) {
    sections.push(
      `ACTIVE AND FAILED RUNS\n${renderTable(
        [
          { header: 'RUN', value: (r) => truncate(r.id, 24) },
          { header: 'PROCESS', value: (r) => r.process },
          { header: 'STATE', value: (r) => r.state },
          { header: 'STEP', value: (r) => r.currentStep ?? '-' },
          { header: 'ATTEMPTS', value: (r) => String(r.attempts), align: 'right' },
          { header: 'ERROR', value: (r) => truncate(r.error ?? '', 50) },
        ],
        report.runs.active,
      )}`,
    );
  }
  sections.push(
    `RECENT EFFORTS\n${renderTable(
      [
        { header: 'SINK', value: (e) => e.sink },
        { header: 'RECORD', value: (e) => truncate(e.recordId, 24) },
        { header: 'OUTCOME', value: (e) => e.culmination },
        { header: 'ATTEMPTS', value: (e) => String(e.attempts), align: 'right' },
        { header: 'LAST ERROR', value: (e) => truncate(e.lastError ?? '', 40) },
        { header: 'WHEN', value: (e) => age(e.updatedAt, now) },
      ],
      report.efforts,
    )}`,
  );
  if (report.sinks.length > 0) {
    sections.push(
      `SINKS\n${renderTable(
        [
          { header: 'SINK', value: (s) => s.name },
          { header: 'AGENT', value: (s) => s.agent },
          { header: 'ENABLED', value: (s) => (s.enabled ? 'yes' : 'no') },
          { header: 'SINCE', value: (s) => age(s.since, now) },
          { header: 'LAST ERROR', value: (s) => truncate(s.lastError ?? '', 40) },
        ],
        report.sinks,
      )}`,
    );
  }
  const reasons = Object.entries(report.failed.byReason)
    .map(([reason, n]) => `${reason} ${count(n)}`)
    .join(', ');
  sections.push(`FAILED  ${count(report.failed.pending)} pending${reasons ? ` (${reasons})` : ''}`);
  const wrong = problems(report);
  if (wrong) sections.push(wrong);
  return sections.join('\n\n');
}
