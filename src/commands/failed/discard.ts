import { BaseCommand } from '../../cli/base-command.js';
import { failedFilterOf, failedFlags, failedWhereOf } from '../../cli/failed-flags.js';
import { yesFlag } from '../../cli/flags.js';
import { Args, Flags } from '../../cli/vendor/oclif.js';

export default class FailedDiscard extends BaseCommand {
  static override summary = 'Discard parked messages: keep them in the store, never replay them.';
  static override description =
    'Give item ids, or --all (every pending item, narrowed by --reason and --where). Asks for confirmation unless --yes.';
  static override examples = [
    '<%= config.bin %> failed discard 12 13',
    '<%= config.bin %> failed discard --all --reason decode --yes',
    `<%= config.bin %> failed discard --all --where 'error.contains("410 Gone")' --yes`,
  ];
  static override enableJsonFlag = true;
  static override strict = false;
  static override args = {
    ids: Args.integer({ description: 'Ids of the items to discard.', min: 1 }),
  };
  static override flags = {
    all: Flags.boolean({ summary: 'Discard every pending item (of --reason).', env: 'AGENTCTL_ALL' }),
    reason: failedFlags.reason('With --all: only items parked for this reason.'),
    where: failedFlags.where({}),
    yes: yesFlag,
  };

  async run(): Promise<unknown> {
    const { argv, flags } = await this.parse(FailedDiscard);
    const { UsageError } = await import('../../core/errors/usage-error.js');
    const ids = (argv as string[]).map(Number);
    if (ids.some((id) => !Number.isInteger(id) || id < 1)) throw new UsageError('ids are whole numbers ≥ 1');
    const all = flags.all ?? false;
    if (ids.length > 0 && all) throw new UsageError('give item ids or --all, not both');
    if (ids.length === 0 && !all) {
      throw new UsageError('give the ids of the items to discard, or --all', {
        hint: 'agentctl failed discard --help',
      });
    }
    if (flags.reason && !all) throw new UsageError('--reason goes with --all');
    if (flags.where !== undefined && !all) throw new UsageError('--where goes with --all');
    const where = await failedWhereOf(flags);
    const { store } = await this.openStore(flags, { mustExist: true });
    const { discardFailed, discardTargets } = await import('../../core/ops/failed-items.js');
    const { renderDiscarded, renderDiscardQuestion } = await import('../../ui/text/failed.js');
    const targets = await discardTargets(
      store,
      ids.length > 0
        ? { ids }
        : { all: true, filter: failedFilterOf({ reason: flags.reason }), ...(where ? { where } : {}) },
    );
    if (targets.length > 0) await this.confirm(renderDiscardQuestion(targets.length), flags.yes);
    this.note(where?.skippedNote());
    const discarded = await discardFailed(store, targets);
    if (!this.jsonEnabled()) this.log(renderDiscarded(discarded, targets.length));
    return { discarded, ids: targets };
  }
}
