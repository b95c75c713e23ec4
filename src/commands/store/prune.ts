import { BaseCommand } from '../../cli/base-command.js';
import { yesFlag } from '../../cli/flags.js';
import { Flags } from '../../cli/vendor/oclif.js';
import { PRUNE_KINDS, type PruneKind } from '../../core/ops/store-prune.js';

export default class StorePrune extends BaseCommand {
  static override summary =
    'Delete finished runs, efforts, settled failures and consumed log records older than a cut.';
  static override description =
    'Keeps what agents still need: pending and running runs, pending efforts, pending failed items, and log records some group has not checkpointed past. Every group the store knows on a topic (by a checkpoint, a lease or an agent row) counts: one without a checkpoint on a partition keeps that partition whole, and --dry-run shows which group holds each partition. A run pruned no longer marks its event as done, so a redelivery older than the cut runs again. Safe while agents run. The SQLite file does not shrink: freed pages are reused (VACUUM it while agents are stopped to give them back). Asks for confirmation unless --yes or --dry-run.';
  static override examples = [
    '<%= config.bin %> store prune --older-than 7d --dry-run',
    '<%= config.bin %> store prune --older-than 30d --only runs,efforts --yes',
    '<%= config.bin %> store prune --older-than 2026-01-01 --db postgres://agentctl@db/agents --yes --json',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    'older-than': Flags.string({
      summary: 'The cut: a duration before now (90m, 12h, 7d) or an ISO time.',
      required: true,
      env: 'AGENTCTL_OLDER_THAN',
    }),
    only: Flags.string({
      summary: `What to prune, comma-separated: ${PRUNE_KINDS.join(', ')} (default: all).`,
      env: 'AGENTCTL_ONLY',
    }),
    'dry-run': Flags.boolean({ summary: 'Count what would go; delete nothing.', env: 'AGENTCTL_DRY_RUN' }),
    yes: yesFlag,
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(StorePrune);
    const { UsageError } = await import('../../core/errors/usage-error.js');
    const { parseTimeArgument } = await import('../../core/time-argument.js');
    const before = parseTimeArgument(flags['older-than'], Date.now());
    const kinds = flags.only === undefined ? [...PRUNE_KINDS] : flags.only.split(',').map((k) => k.trim());
    const unknown = kinds.filter((k) => !(PRUNE_KINDS as readonly string[]).includes(k));
    if (unknown.length > 0 || kinds.length === 0) {
      throw new UsageError(`--only: unknown kind ${unknown.map((k) => `"${k}"`).join(', ') || '(none)'}`, {
        hint: `choose among ${PRUNE_KINDS.join(', ')}`,
      });
    }
    const dryRun = flags['dry-run'] ?? false;
    // A dry run changes nothing: not even an older store's schema (it says to migrate instead).
    const { store } = await this.openStore(flags, { mustExist: true, readonly: dryRun });
    const { pruneStore } = await import('../../core/ops/store-prune.js');
    const { renderStorePrune } = await import('../../ui/text/store-prune.js');
    if (!dryRun) {
      const { timestamp } = await import('../../ui/text/format.js');
      await this.confirm(
        `delete ${kinds.join(', ')} older than ${timestamp(before)} from ${store.location}?`,
        flags.yes,
      );
    }
    const report = await pruneStore(store, { before, kinds: kinds as PruneKind[], dryRun });
    if (!this.jsonEnabled()) this.log(renderStorePrune(report));
    return report;
  }
}
