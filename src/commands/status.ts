import { BaseCommand } from '../cli/base-command.js';
import { agentFlag } from '../cli/flags.js';
import { Flags } from '../cli/vendor/oclif.js';

export default class Status extends BaseCommand {
  static override summary = 'One snapshot of agents, partitions, runs, efforts and the failed store.';
  static override description =
    'Reads the state store only: works for agents on this host and, with a shared store, on others. An agent is alive while it heartbeats.';
  static override examples = [
    '<%= config.bin %> status',
    '<%= config.bin %> status --json | jq .partitions',
    '<%= config.bin %> status --db postgres://agentctl@db/agents --all',
    '<%= config.bin %> status --exit-code --max-lag 10000',
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
    'exit-code': Flags.boolean({
      summary: 'Exit 3 when a partition is STALLED, lags past --max-lag, or a poison guard tripped (else 0).',
      env: 'AGENTCTL_EXIT_CODE',
    }),
    'max-lag': Flags.integer({
      summary: 'Records behind a partition may be before it counts as a problem.',
      min: 0,
      env: 'AGENTCTL_MAX_LAG',
    }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(Status);
    const loaded = await this.agentConfig(flags.config);
    const { store, config } = await this.openStore(flags, { readonly: true, mustExist: true });
    const { statusOf } = await import('../core/ops/status.js');
    const group = flags.all ? undefined : (flags.agent ?? (loaded.path ? config.name : undefined));
    const maxLag = flags['max-lag'];
    const report = await statusOf(store, config, {
      ...(group ? { group } : {}),
      limit: flags.limit,
      ...(maxLag === undefined ? {} : { maxLag }),
    });
    if (!this.jsonEnabled()) {
      const { renderStatus } = await import('../ui/text/status.js');
      this.log(renderStatus(report));
    }
    if (flags['exit-code'] && !report.health.ok) {
      const { EXIT_UNHEALTHY } = await import('../cli/exit-codes.js');
      process.exitCode = EXIT_UNHEALTHY;
    }
    return report;
  }
}
