import { BaseCommand } from '../../cli/base-command.js';
import { agentFlag, sourceFlag } from '../../cli/flags.js';
import { Flags } from '../../cli/vendor/oclif.js';

export default class CheckpointHistory extends BaseCommand {
  static override summary = 'Show the checkpoint moves operators executed: who, when, before → after, why.';
  static override description =
    "Every checkpoint moved by `checkpoint set|reset --execute` or the console is recorded, newest first, with who moved it (AGENTCTL_ACTOR, else the OS user and host), when, the group, source and partition, the checkpoint before and after, the --reason and the command. Lists the agent's group on its source; --all lists every group and source.";
  static override examples = [
    '<%= config.bin %> checkpoint history',
    '<%= config.bin %> checkpoint history --partition 0 --limit 5 --json',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    source: sourceFlag,
    agent: agentFlag,
    partition: Flags.string({ char: 'p', summary: 'Only this partition.', env: 'AGENTCTL_PARTITION' }),
    limit: Flags.integer({
      summary: 'Most moves to show (the newest).',
      min: 1,
      default: 50,
      env: 'AGENTCTL_LIMIT',
    }),
    all: Flags.boolean({ summary: 'Every group and source in the store.', env: 'AGENTCTL_ALL' }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(CheckpointHistory);
    const { store, config } = await this.openStore(flags, { mustExist: true });
    const { opsTarget, openOpsSource } = await import('../../core/ops/operator-source.js');
    const { renderCheckpointHistory } = await import('../../ui/text/checkpoint-plan.js');
    const target = opsTarget(config, { source: flags.source, group: flags.agent });
    // Opened, never connected: only its id (as checkpoints are keyed) is needed.
    const source = flags.all ? undefined : await openOpsSource(store, target);
    await source?.close();
    const moves = await store.checkpoints.history({
      ...(source === undefined ? {} : { group: target.group, source: source.id }),
      ...(flags.partition === undefined ? {} : { partition: flags.partition }),
      limit: flags.limit,
    });
    if (!this.jsonEnabled()) this.log(renderCheckpointHistory(moves));
    return moves;
  }
}
