import { BaseCommand } from '../../cli/base-command.js';
import { yesFlag } from '../../cli/flags.js';
import { Flags } from '../../cli/vendor/oclif.js';

export default class StoreCopy extends BaseCommand {
  static override summary =
    'Copy a state store into another (an embedded SQLite store into the shared PostgreSQL one).';
  static override description =
    'Copies the local log, failed messages with their history, runs, efforts, agents, control requests and checkpoints, then compares counts. Leases are not copied: agents on the target acquire their own. Safe to run again: what the target already holds is skipped. Stop the agents writing to the source first.';
  static override examples = [
    '<%= config.bin %> store copy --from .agentctl/agent.db --to postgres://agentctl@db:5432/agents',
    '<%= config.bin %> store copy --from sqlite:/var/lib/agent/agent.db --to "postgres://agentctl@db/agents?schema=fleet" --yes --json',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    from: Flags.string({
      summary: 'The store to copy: a SQLite file (sqlite:PATH or PATH) or a postgres:// URI.',
      required: true,
      env: 'AGENTCTL_FROM',
    }),
    to: Flags.string({
      summary: 'The store to copy into, usually postgres://user@host/db[?schema=NAME].',
      required: true,
      env: 'AGENTCTL_TO',
    }),
    yes: yesFlag,
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(StoreCopy);
    const { redactUri } = await import('../../core/redact.js');
    await this.confirm(
      `copy the state store ${redactUri(flags.from)} into ${redactUri(flags.to)}?`,
      flags.yes,
    );
    const { openStore } = await import('../../core/store/open-store.js');
    const { copyStore } = await import('../../core/ops/store-copy/copy-store.js');
    const { verifyCopy } = await import('../../core/ops/store-copy/verify-copy.js');
    const { LiveLine } = await import('../../ui/text/live-line.js');
    const source = await openStore(flags.from, { readonly: true });
    try {
      const target = await openStore(flags.to);
      try {
        const line = new LiveLine();
        const ui = await import('../../ui/text/store-copy.js');
        const report = await copyStore(source, target, (p) => line.update(ui.renderCopyProgress(p)));
        line.update(ui.VERIFYING);
        const verified = await verifyCopy(source, target);
        line.clear();
        const result = { from: source.location, to: target.location, ...report, verified };
        if (!this.jsonEnabled()) this.log(ui.renderStoreCopy(result));
        if (!verified.ok) process.exitCode = 1;
        return result;
      } finally {
        await target.close();
      }
    } finally {
      await source.close();
    }
  }
}
