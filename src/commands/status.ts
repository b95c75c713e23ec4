import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { agentFlag } from '../cli/flags.js';

export default class Status extends BaseCommand {
  static override summary = 'One snapshot of agents, partitions, runs, efforts and the failed store.';
  static override description =
    'Reads the state store only: works for agents on this host and, with a shared store, on others. An agent is alive while it heartbeats.';
  static override examples = [
    '<%= config.bin %> status',
    '<%= config.bin %> status --json | jq .partitions',
    '<%= config.bin %> status --db postgres://agentctl@db/agents --all',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    agent: agentFlag,
    all: Flags.boolean({
      summary: 'Every agent group in the store, not only the config’s.',
      env: 'AGENTCTL_ALL',
    }),
    limit: Flags.integer({
      summary: 'Rows of recent runs and efforts.',
      default: 10,
      min: 1,
      env: 'AGENTCTL_LIMIT',
    }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(Status);
    const loaded = await this.agentConfig(flags.config);
    const { store, config } = await this.openStore(flags, { readonly: true, mustExist: true });
    const { statusOf } = await import('../core/ops/status.js');
    const group = flags.all ? undefined : (flags.agent ?? (loaded.path ? config.name : undefined));
    const report = await statusOf(store, config, { ...(group ? { group } : {}), limit: flags.limit });
    if (!this.jsonEnabled()) {
      const { renderStatus } = await import('../ui/text/status.js');
      this.log(renderStatus(report));
    }
    return report;
  }
}
