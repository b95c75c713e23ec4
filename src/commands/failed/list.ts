import { BaseCommand } from '../../cli/base-command.js';
import { failedFilterOf, failedFlags, failedWhereOf } from '../../cli/failed-flags.js';
import { Flags } from '../../cli/vendor/oclif.js';

export default class FailedList extends BaseCommand {
  static override summary =
    'List parked messages: events that failed, and records that could not be published.';
  static override description =
    'Oldest first. With --json prints one JSON array; each item has every stored field (id, status, reason, kind, group, source, partition, position, rule, process, runId, eventId, eventType, sink, recordKey, headers, error, errorName, attempts, firstFailedAt, lastFailedAt, replayedAt, timestamp, key, history: [{at, error, via; an edit also by and previousBase64, the bytes it replaced}]; times in ms since the epoch) and its bytes as `payload` (the text) when they are UTF-8 JSON, else as `payloadBase64`.';
  static override examples = [
    '<%= config.bin %> failed list',
    '<%= config.bin %> failed list --reason process --rule ship-order',
    '<%= config.bin %> failed list --search timeout --status any --json',
    `<%= config.bin %> failed list --where 'reason == "process" && attempts >= 3'`,
  ];
  static override enableJsonFlag = true;
  static override flags = {
    reason: failedFlags.reason(),
    search: failedFlags.search(),
    rule: failedFlags.rule(),
    status: failedFlags.status(),
    where: failedFlags.where(),
    limit: Flags.integer({
      summary: 'At most this many items.',
      min: 1,
      default: 100,
      env: 'AGENTCTL_LIMIT',
    }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(FailedList);
    const where = await failedWhereOf(flags);
    const { store } = await this.openStore(flags, { readonly: true, mustExist: true });
    const { failedItemJson, listFailed, redactedFailed } = await import('../../core/ops/failed-items.js');
    const { renderFailedTable } = await import('../../ui/text/failed.js');
    const items = await listFailed(store, failedFilterOf(flags), flags.limit, where);
    if (!this.jsonEnabled()) this.log(renderFailedTable(items.map(redactedFailed), flags.limit));
    this.note(where?.skippedNote());
    return items.map(failedItemJson);
  }
}
