import { BaseCommand } from '../../cli/base-command.js';
import { Args, Flags } from '../../cli/vendor/oclif.js';

export default class FailedShow extends BaseCommand {
  static override summary = 'Show one parked message: every field, its failure history and its payload.';
  static override description =
    'With --json prints the item as in `failed list --json` (payload as text when UTF-8 JSON, else payloadBase64). An edited item says when and by whom it was edited; --original shows the payload as it was parked.';
  static override examples = [
    '<%= config.bin %> failed show 42',
    '<%= config.bin %> failed show 42 --json',
    '<%= config.bin %> failed show 42 --raw > payload.bin',
    '<%= config.bin %> failed show 42 --original',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    raw: Flags.boolean({
      summary: 'Print only the payload, byte for byte (the text output escapes control characters).',
      env: 'AGENTCTL_RAW',
      exclusive: ['json'],
    }),
    original: Flags.boolean({
      summary: 'Show the payload as it was parked, before any `failed edit` (with --raw: its bytes).',
      env: 'AGENTCTL_ORIGINAL',
    }),
  };
  static override args = {
    id: Args.integer({ description: 'Id of the item (see `agentctl failed list`).', required: true, min: 1 }),
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(FailedShow);
    const { store } = await this.openStore(flags, { readonly: true, mustExist: true });
    const { failedItemJson, redactedFailed, requireFailed } = await import('../../core/ops/failed-items.js');
    const { renderFailedItem } = await import('../../ui/text/failed.js');
    const stored = await requireFailed(store, args.id);
    const { originalBytes } = await import('../../core/ops/failed-edit/item-edits.js');
    const item = flags.original ? { ...stored, raw: originalBytes(stored) } : stored;
    if (flags.raw) {
      process.stdout.write(item.raw);
      return undefined;
    }
    if (!this.jsonEnabled())
      this.log(renderFailedItem(redactedFailed(item), Date.now(), { original: flags.original }));
    return failedItemJson(item);
  }
}
