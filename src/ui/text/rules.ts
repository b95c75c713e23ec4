import type { RuleDescription, RuleTestReport, RuleTestResult } from '../../core/ops/rules.js';
import { count, truncate } from './format.js';
import { renderTable } from './table.js';

/** The rules table of `rules list`. */
export function renderRules(rules: readonly RuleDescription[]): string {
  return renderTable(
    [
      { header: 'RULE', value: (r) => r.name },
      { header: 'ON', value: (r) => r.on.join(', ') },
      { header: 'PROCESS', value: (r) => (r.problem === undefined ? r.process : `${r.process} (missing!)`) },
      { header: 'WHEN', value: (r) => (r.condition ? 'yes' : '-') },
      { header: 'PARAMS', value: (r) => (r.params ? 'yes' : '-') },
      { header: 'STEPS', value: (r) => r.steps.join(' → ') || '-' },
    ],
    rules,
    '(no rules: add `rules` to the agent config)',
  );
}

function renderEvent(result: RuleTestResult): string[] {
  const head = `#${result.index} ${result.eventType ?? '?'} ${result.eventId ?? ''}`.trimEnd();
  switch (result.outcome) {
    case 'decode-error':
      return [`#${result.index} not an event: ${result.error?.message} (would be parked: decode)`];
    case 'rule-error':
      return [
        `${head}: rule "${result.error?.rule ?? '?'}" threw: ${result.error?.message} (would be parked: rule)`,
      ];
    case 'unmatched':
      return [`${head}: no rule matches (would be committed as unmatched)`];
    case 'matched':
      return [
        `${head}:`,
        ...result.matches.map((m) => {
          const note =
            m.problem ??
            (m.wouldSkip
              ? 'would be skipped: already succeeded'
              : m.recorded
                ? `recorded ${m.recorded}, would run again`
                : 'would run');
          const params = m.params === undefined ? '' : ` params ${truncate(JSON.stringify(m.params), 60)}`;
          return `  ${m.rule} → ${m.process} [${m.steps.join(' → ')}] run ${m.runId}${params}: ${note}`;
        }),
      ];
  }
}

/** What `rules test` found, event by event, with totals. */
export function renderRuleTest(report: RuleTestReport): string {
  const t = report.totals;
  const lines = report.events.flatMap(renderEvent);
  lines.push(
    `${count(t.events)} events: ${count(t.matched)} matched, ${count(t.unmatched)} unmatched, ${count(t.errors)} errors; ${count(t.runs)} runs, ${count(t.wouldSkip)} would be skipped`,
  );
  if (report.filteredOut > 0) lines.push(`(${count(report.filteredOut)} more events left out by --where)`);
  if (!report.checkedStore)
    lines.push('(no state store found: runs that already succeeded were not looked up)');
  return lines.join('\n');
}
