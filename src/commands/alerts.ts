import { BaseCommand } from '../cli/base-command.js';
import { Flags } from '../cli/vendor/oclif.js';

export default class Alerts extends BaseCommand {
  static override summary = 'Print Prometheus alerting rules for agents, built from the metrics they export.';
  static override description =
    'Rules: partition stalled, lag growing, poison storm, sink disabled, failed store growing, agent gone. Save the YAML as a rule file and list it under rule_files in prometheus.yml; check it with `promtool check rules`. Reads nothing and writes nothing.';
  static override examples = [
    '<%= config.bin %> alerts > agentctl-rules.yml',
    '<%= config.bin %> alerts --for 10m --job orders-agent',
    '<%= config.bin %> alerts --json',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    for: Flags.string({
      summary: 'How long a condition must hold before the alert fires (Prometheus duration).',
      default: '5m',
      env: 'AGENTCTL_FOR',
    }),
    job: Flags.string({
      summary: 'Only the targets of this Prometheus scrape job (adds job="JOB" to every selector).',
      env: 'AGENTCTL_JOB',
    }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(Alerts);
    const { alertRules, alertRulesYaml } = await import('../core/ops/alert-rules.js');
    const rules = alertRules({ for: flags.for, ...(flags.job === undefined ? {} : { job: flags.job }) });
    if (!this.jsonEnabled()) process.stdout.write(alertRulesYaml(rules));
    return rules;
  }
}
