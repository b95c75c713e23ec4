import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { agentFlag, sourceFlag, yesFlag } from '../../cli/flags.js';

export default class CheckpointSet extends BaseCommand {
  static override summary = "Move one partition's checkpoint: the next read starts after --position.";
  static override description =
    'Refuses while a running agent owns the partition (drain it first), unless --force: the running agent then keeps reading from where it is and may overwrite the checkpoint at its next commit. Asks for confirmation unless --yes; without a terminal it refuses without --yes.';
  static override examples = [
    '<%= config.bin %> checkpoint set --partition 0 --position 41',
    '<%= config.bin %> checkpoint set --source kinesis://orders --partition shardId-000000000001 --position 4959…:0 --yes',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    source: sourceFlag,
    agent: agentFlag,
    partition: Flags.string({
      char: 'p',
      summary: 'The partition (shard, queue, log partition).',
      required: true,
      env: 'AGENTCTL_PARTITION',
    }),
    position: Flags.string({
      summary: 'The new checkpoint: everything at or before it counts as done.',
      required: true,
      env: 'AGENTCTL_POSITION',
    }),
    force: Flags.boolean({
      summary: 'Change it even while a running agent owns the partition.',
      env: 'AGENTCTL_FORCE',
    }),
    yes: yesFlag,
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(CheckpointSet);
    const { store, config } = await this.openStore(flags, { mustExist: true });
    const { setCheckpoint } = await import('../../core/ops/checkpoint-moves.js');
    const { opsTarget, withSource } = await import('../../core/ops/operator-source.js');
    const { renderCheckpointChange } = await import('../../ui/text/checkpoints.js');
    const target = opsTarget(config, { source: flags.source, group: flags.agent });
    const result = await withSource(store, target, async (source) => {
      await this.confirm(
        `Move the checkpoint of ${target.group} on ${source.uri} partition ${flags.partition} to ${flags.position}?`,
        flags.yes,
      );
      return setCheckpoint(store, {
        group: target.group,
        source,
        partition: flags.partition,
        position: flags.position,
        force: flags.force,
      });
    });
    if (!this.jsonEnabled()) this.log(renderCheckpointChange(result));
    return result;
  }
}
