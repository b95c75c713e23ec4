import type { DoctorCheck } from '../../core/ops/doctor/doctor-check.js';
import { redactSecrets } from '../../core/redact.js';
import { type Column, renderTable } from './table.js';

/** A setting's value and where it came from (flag, env, context, config file, default). */
export interface ResolvedSetting {
  readonly value: string | undefined;
  readonly origin: string;
}

/** What `agentctl doctor` prints: the resolved settings with their origins, then each check. */
export interface DoctorReport {
  readonly ok: boolean;
  readonly settings: Readonly<Record<string, ResolvedSetting>>;
  readonly checks: readonly DoctorCheck[];
}

type SettingRow = readonly [string, ResolvedSetting];

/** The settings table (values redacted) and one line per check: ✓ or ✗, and under a ✗ its fix. */
export function renderDoctor(report: DoctorReport): string {
  const columns: Column<SettingRow>[] = [
    { header: 'SETTING', value: ([name]) => name },
    { header: 'VALUE', value: ([, s]) => (s.value === undefined ? '-' : redactSecrets(s.value)) },
    { header: 'FROM', value: ([, s]) => s.origin },
  ];
  const lines = [renderTable(columns, Object.entries(report.settings)), ''];
  for (const check of report.checks) {
    lines.push(`${check.ok ? '✓' : '✗'} ${check.name}: ${redactSecrets(check.detail)}`);
    if (!check.ok && check.fix !== undefined) lines.push(`    fix: ${redactSecrets(check.fix)}`);
  }
  const failed = report.checks.filter((c) => !c.ok).length;
  lines.push('', failed === 0 ? 'all checks passed' : `${failed} of ${report.checks.length} checks failed`);
  return lines.join('\n');
}
