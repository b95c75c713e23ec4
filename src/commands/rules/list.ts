import { BaseCommand } from '../../cli/base-command.js';

export default class RulesList extends BaseCommand {
  static override summary = "List the agent's rules: what they match, the process they start and its steps.";
  static override examples = [
    '<%= config.bin %> rules list',
    '<%= config.bin %> rules list --config agents/orders.config.ts --json',
  ];
  static override enableJsonFlag = true;

  async run(): Promise<unknown> {
    const { flags } = await this.parse(RulesList);
    const { config } = await this.agentConfig(flags.config, { required: 'there are no rules to list' });
    const { describeRules } = await import('../../core/ops/rules.js');
    const { renderRules } = await import('../../ui/text/rules.js');
    const rules = describeRules(config);
    if (!this.jsonEnabled()) this.log(renderRules(rules));
    return rules;
  }
}
