import { UsageError } from '../errors/usage-error.js';
import { METRIC } from '../telemetry/metric-names.js';

/** One Prometheus alerting rule. */
export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: { readonly severity: 'warning' | 'critical' };
  readonly annotations: { readonly summary: string; readonly description: string };
}

/** A Prometheus rule file: `groups: [{ name, rules }]`. */
export interface AlertRuleFile {
  readonly groups: readonly { readonly name: string; readonly rules: readonly AlertRule[] }[];
}

export interface AlertOptions {
  /** How long a condition must hold before it fires (Prometheus duration, default `5m`). */
  readonly for?: string;
  /** Only the targets of this scrape job (adds `job="JOB"` to every selector). */
  readonly job?: string;
  /** The rule group's name (default `agentctl`). */
  readonly group?: string;
}

const DURATION = /^(\d+(ms|s|m|h|d|w|y))+$/;

/** A Prometheus duration (`30s`, `5m`, `1h30m`). @throws UsageError for anything else. */
export function promDuration(text: string, flag: string): string {
  if (DURATION.test(text)) return text;
  throw new UsageError(`--${flag} "${text}" is not a Prometheus duration`, {
    hint: 'give a number and a unit: 30s, 5m, 1h, 1h30m',
  });
}

/**
 * The alerting rules shipped for agents: lag growing, partition stalled, poison storm, sink disabled,
 * failed store growing, agent gone. Every expression names metrics by `METRIC` — what the agent exports —
 * and `up` (Prometheus' own, for a target that stopped answering).
 */
export function alertRules(options: AlertOptions = {}): AlertRuleFile {
  const wait = promDuration(options.for ?? '5m', 'for');
  if (options.job !== undefined && !/^[^"\\\n]+$/.test(options.job)) {
    throw new UsageError(`--job "${options.job}" cannot be a label value here`, {
      hint: 'give the job name of your scrape config, without quotes or backslashes',
    });
  }
  const sel = (extra = '') => {
    const matchers = [options.job === undefined ? '' : `job="${options.job}"`, extra].filter(Boolean);
    return matchers.length === 0 ? '' : `{${matchers.join(',')}}`;
  };
  const by = 'job, instance, agent';
  const rule = (
    alert: string,
    severity: AlertRule['labels']['severity'],
    expr: string,
    summary: string,
    description: string,
    holdFor = wait,
  ): AlertRule => ({
    alert,
    expr,
    for: holdFor,
    labels: { severity },
    annotations: { summary, description },
  });
  const where = '{{ $labels.agent }} {{ $labels.partition }}';
  return {
    groups: [
      {
        name: options.group ?? 'agentctl',
        rules: [
          rule(
            'AgentctlPartitionStalled',
            'critical',
            `${METRIC.partitionStalled}${sel()} == 1`,
            `Partition ${where} is STALLED`,
            'Its agent heartbeats, it is behind, and its checkpoint has not moved for consumer.stallAfterMs (or a step runs past its timeout). `agentctl status` shows the position, run, step and attempt it waits on.',
          ),
          rule(
            'AgentctlLagGrowing',
            'warning',
            `deriv(${METRIC.partitionLagRecords}${sel()}[15m]) > 0 and ${METRIC.partitionLagRecords}${sel()} > 0`,
            `Lag of ${where} keeps growing`,
            'The partition falls further behind the head: {{ $value }} records more per second over 15 minutes.',
          ),
          rule(
            'AgentctlPoisonStorm',
            'critical',
            `max_over_time(${METRIC.poisonGuardTripped}${sel()}[15m]) == 1 or (sum by (${by}) (rate(${METRIC.eventsParked}${sel()}[5m])) > 0.5 * sum by (${by}) (rate(${METRIC.eventsRead}${sel()}[5m])))`,
            'Poison storm in {{ $labels.agent }}',
            'The poison guard tripped (the consumer stopped instead of parking everything), or most events read are parked. Look at `agentctl failed list`, fix the cause, then `agentctl replay --failed`.',
            '0m',
          ),
          rule(
            'AgentctlSinkDisabled',
            'warning',
            `${METRIC.sinkEnabled}${sel()} == 0`,
            'Sink {{ $labels.sink }} of {{ $labels.agent }} is disabled',
            'The sink failed too many times in a row and is disabled for a cool-down; records are parked for `agentctl replay --failed`.',
          ),
          rule(
            'AgentctlFailedStoreGrowing',
            'warning',
            `sum by (${by}, reason) (increase(${METRIC.eventsParked}${sel()}[30m])) > 0`,
            'The failed store of {{ $labels.agent }} grows ({{ $labels.reason }})',
            '{{ $value }} messages parked over 30 minutes. `agentctl failed list --reason {{ $labels.reason }}` shows them.',
          ),
          rule(
            'AgentctlAgentGone',
            'critical',
            `up${sel()} == 0 and on (job, instance) count_over_time(${METRIC.processingState}${sel()}[1h]) > 0`,
            'Agent at {{ $labels.instance }} is gone',
            'The target exported agentctl metrics within the last hour and no longer answers the scrape.',
          ),
        ],
      },
    ],
  };
}

/** A rule file as YAML (strings double-quoted: JSON strings are valid YAML scalars). */
export function alertRulesYaml(file: AlertRuleFile): string {
  const q = (s: string) => JSON.stringify(s);
  const lines = ['groups:'];
  for (const group of file.groups) {
    lines.push(`  - name: ${q(group.name)}`, '    rules:');
    for (const r of group.rules) {
      lines.push(
        `      - alert: ${r.alert}`,
        `        expr: ${q(r.expr)}`,
        `        for: ${r.for}`,
        '        labels:',
        `          severity: ${r.labels.severity}`,
        '        annotations:',
        `          summary: ${q(r.annotations.summary)}`,
        `          description: ${q(r.annotations.description)}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
