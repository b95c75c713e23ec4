import { CheckpointMoveCommand, checkpointMoveFlags } from '../../cli/checkpoint-move-command.js';
import { Flags } from '../../cli/vendor/oclif.js';

export default class CheckpointSet extends CheckpointMoveCommand {
  static override summary =
    'Plan a checkpoint move — to a time, by N records, or to a position — and apply it with --execute.';
  static override description =
    'Prints, per partition, the checkpoint before → after and how many events will be read again (moving back) or skipped (moving forward); "unknown" where the source cannot count them (Kinesis, but for --shift-by). Nothing is changed without --execute, which asks first on a terminal (--yes does not ask) and records every move in the checkpoint history (see checkpoint history). --to-time finds the position through the source: the first record stored at or after the time is read next. Without --partition, every partition of the source moves. --execute refuses partitions a running agent owns (drain it first) unless --force.';
  static override examples = [
    '<%= config.bin %> checkpoint set --to-time -1h',
    '<%= config.bin %> checkpoint set --to-time 2025-01-31T12:00:00Z --execute --yes --reason "re-run after the fix"',
    '<%= config.bin %> checkpoint set --partition 0 --shift-by=-100',
    '<%= config.bin %> checkpoint set --partition 0 --to 41 --execute',
  ];
  static override flags = {
    ...checkpointMoveFlags,
    'to-time': Flags.string({
      summary: 'To a time: an ISO time or a duration back from now (-15m, -2h, -1d).',
      env: 'AGENTCTL_TO_TIME',
    }),
    'shift-by': Flags.string({
      summary: 'By N records: +N skips N, -N reads N again (write --shift-by=-N).',
      env: 'AGENTCTL_SHIFT_BY',
    }),
    to: Flags.string({
      summary: 'To earliest (no checkpoint: read from the start), latest, or a position (one --partition).',
      env: 'AGENTCTL_TO',
    }),
    position: Flags.string({
      summary: 'Same as --to POSITION.',
      env: 'AGENTCTL_POSITION',
    }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(CheckpointSet);
    const { parseMoveTarget } = await import('../../core/ops/checkpoint-plan/move-target.js');
    return this.move(flags, (now) =>
      parseMoveTarget(
        {
          ...(flags['to-time'] === undefined ? {} : { toTime: flags['to-time'] }),
          ...(flags['shift-by'] === undefined ? {} : { shiftBy: flags['shift-by'] }),
          ...(flags.to === undefined ? {} : { to: flags.to }),
          ...(flags.position === undefined ? {} : { position: flags.position }),
        },
        now,
      ),
    );
  }
}
