import { CheckpointMoveCommand, checkpointMoveFlags } from '../../cli/checkpoint-move-command.js';
import { Flags } from '../../cli/vendor/oclif.js';

export default class CheckpointReset extends CheckpointMoveCommand {
  static override summary =
    'Plan a reset of checkpoints to the start, or to the latest position; --execute applies it.';
  static override description =
    '--to earliest (default) deletes the checkpoints: the next consume reads the partitions from their start (runs that already succeeded are skipped). --to latest moves them to the latest position: what is there now is skipped. Prints the plan per partition (before → after, events read again or skipped) and changes nothing without --execute, which asks first on a terminal (--yes does not ask) and records every move in the checkpoint history. --execute refuses partitions a running agent owns (drain it first) unless --force.';
  static override examples = [
    '<%= config.bin %> checkpoint reset',
    '<%= config.bin %> checkpoint reset --execute --yes --reason "replay everything"',
    '<%= config.bin %> checkpoint reset --partition 0 --partition 2 --to latest --execute',
  ];
  static override flags = {
    ...checkpointMoveFlags,
    to: Flags.string({
      summary: 'Where to: earliest (delete) or latest.',
      options: ['earliest', 'latest'],
      default: 'earliest',
      env: 'AGENTCTL_TO',
    }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(CheckpointReset);
    const to = flags.to as 'earliest' | 'latest';
    return this.move(flags, () => ({ kind: to }));
  }
}
