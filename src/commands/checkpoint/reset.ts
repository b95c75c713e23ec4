import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { agentFlag, sourceFlag, yesFlag } from '../../cli/flags.js';

export default class CheckpointReset extends BaseCommand {
  static override summary = 'Reset checkpoints to the start of each partition, or to its latest position.';
  static override description =
    '--to earliest (default) deletes the checkpoints: the next consume reads the partitions from their start (runs that already succeeded are skipped). --to latest moves them to the latest position: what is there now is skipped. Refuses while a running agent owns a partition (drain it first), unless --force. Asks for confirmation unless --yes; without a terminal it refuses without --yes.';
  static override examples = [
    '<%= config.bin %> checkpoint reset --yes',
    '<%= config.bin %> checkpoint reset --partition 0 --partition 2 --to latest',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    source: sourceFlag,
    agent: agentFlag,
    partition: Flags.string({
      char: 'p',
      summary: 'A partition to reset (repeatable; default: all).',
      multiple: true,
      env: 'AGENTCTL_PARTITION',
    }),
    to: Flags.string({
      summary: 'Where to: earliest (delete) or latest.',
      options: ['earliest', 'latest'],
      default: 'earliest',
      env: 'AGENTCTL_TO',
    }),
    force: Flags.boolean({ summary: 'Reset even partitions a running agent owns.', env: 'AGENTCTL_FORCE' }),
    yes: yesFlag,
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(CheckpointReset);
    const { store, config } = await this.openStore(flags, { mustExist: true });
    const { resetCheckpoints } = await import('../../core/ops/checkpoint-moves.js');
    const { opsTarget, withSource } = await import('../../core/ops/operator-source.js');
    const { renderCheckpointChange } = await import('../../ui/text/checkpoints.js');
    const target = opsTarget(config, { source: flags.source, group: flags.agent });
    const to = flags.to as 'earliest' | 'latest';
    const result = await withSource(store, target, async (source) => {
      const which = flags.partition ? `partitions ${flags.partition.join(', ')}` : 'all partitions';
      await this.confirm(
        `Reset the checkpoints of ${target.group} on ${source.uri} (${which}) to ${to}?`,
        flags.yes,
      );
      return resetCheckpoints(store, {
        group: target.group,
        source,
        to,
        force: flags.force,
        ...(flags.partition ? { partitions: flags.partition } : {}),
      });
    });
    if (!this.jsonEnabled()) this.log(renderCheckpointChange(result));
    return result;
  }
}
