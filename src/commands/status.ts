import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { agentFlag } from '../cli/flags.js';
import type { StatusOptions } from '../core/ops/status.js';

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
    const { collectStatus } = await import('../core/ops/status.js');
    const group = flags.all ? undefined : (flags.agent ?? (loaded.path ? config.name : undefined));
    // The embedded log is cheap to describe: show its latest positions and lag even with no agent running.
    let source: StatusOptions['source'];
    if (group !== undefined) {
      const { openOpsSource, opsTarget } = await import('../core/ops/checkpoints.js');
      const target = opsTarget(config, { group });
      if (target.uri.startsWith('local:')) source = await openOpsSource(store, target);
    }
    const report = await collectStatus(store, {
      ...(group ? { group } : {}),
      limit: flags.limit,
      ...(source ? { source } : {}),
    });
    if (!this.jsonEnabled()) {
      const { renderStatus } = await import('../ui/text/status.js');
      this.log(renderStatus(report));
    }
    return report;
  }
}
