import { BaseCommand } from '../../cli/base-command.js';
import { agentFlag, sourceFlag } from '../../cli/flags.js';
import { Flags } from '../../cli/vendor/oclif.js';

export default class CheckpointList extends BaseCommand {
  static override summary = 'Show where each partition stands: checkpoint, latest position, lag, owner.';
  static override description =
    "Lists every partition of the source for the agent's group, with or without a checkpoint, joined with the source's latest position and lag, and the running agent that owns it. With --all it lists the stored checkpoints of every group and source instead (no live view of the source).";
  static override examples = [
    '<%= config.bin %> checkpoint list',
    '<%= config.bin %> checkpoint list --source kinesis://orders?region=eu-west-1 --json',
    '<%= config.bin %> checkpoint list --all',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    source: sourceFlag,
    agent: agentFlag,
    all: Flags.boolean({
      summary: 'Every group and source in the store (only --source filters), without the live view.',
      env: 'AGENTCTL_ALL',
    }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(CheckpointList);
    const { store, config } = await this.openStore(flags, { mustExist: true });
    const { listCheckpoints } = await import('../../core/ops/checkpoint-list.js');
    const { opsTarget, withSource } = await import('../../core/ops/operator-source.js');
    const { renderCheckpoints } = await import('../../ui/text/checkpoints.js');
    const target = opsTarget(config, { source: flags.source, group: flags.agent });
    const rows =
      flags.all && flags.source === undefined
        ? await listCheckpoints(store, { all: true })
        : await withSource(store, target, (source) =>
            listCheckpoints(store, { group: target.group, all: flags.all, source }),
          );
    if (!this.jsonEnabled()) this.log(renderCheckpoints(rows));
    return rows;
  }
}
