import { once } from 'node:events';
import { BaseCommand } from '../../cli/base-command.js';
import { failedFilterOf, failedFlags, failedWhereOf } from '../../cli/failed-flags.js';
import { Flags } from '../../cli/vendor/oclif.js';

export default class FailedExport extends BaseCommand {
  static override summary = 'Export parked messages as NDJSON, one item per line.';
  static override description =
    'Each line is an item as in `failed list --json` (payload as text when UTF-8 JSON, else payloadBase64), in id order. Streams: any number of items in constant memory.';
  static override examples = [
    '<%= config.bin %> failed export > failed.ndjson',
    '<%= config.bin %> failed export --status any --reason publish --output publish-failures.ndjson',
    `<%= config.bin %> failed export --where 'eventType == "order.created"' > orders.ndjson`,
  ];
  static override flags = {
    format: Flags.string({
      summary: 'Output format.',
      options: ['ndjson'],
      default: 'ndjson',
      env: 'AGENTCTL_FORMAT',
    }),
    output: Flags.string({
      char: 'o',
      summary: 'Write to this file instead of stdout.',
      env: 'AGENTCTL_OUTPUT',
    }),
    status: failedFlags.status(),
    reason: failedFlags.reason(),
    where: failedFlags.where(),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(FailedExport);
    const where = await failedWhereOf(flags);
    const { store } = await this.openStore(flags, { readonly: true, mustExist: true });
    const { exportFailed } = await import('../../core/ops/failed-items.js');
    const { renderExported } = await import('../../ui/text/failed.js');
    const filter = failedFilterOf(flags);
    if (flags.output === undefined) {
      await exportFailed(store, filter, process.stdout, 'ndjson', where);
      this.note(where?.skippedNote());
      return;
    }
    const { createWriteStream } = await import('node:fs');
    const { finished } = await import('node:stream/promises');
    const { UsageError } = await import('../../core/errors/usage-error.js');
    const { createPrivateFile } = await import('../../core/private-files.js');
    // Parked payloads: a file export creates is its owner's alone (an existing one keeps its mode).
    try {
      createPrivateFile(flags.output);
    } catch {
      // Opening it below says why it cannot be written.
    }
    const file = createWriteStream(flags.output);
    await once(file, 'open').catch((error: Error) => {
      throw new UsageError(`cannot write ${flags.output}: ${error.message}`);
    });
    const written = await exportFailed(store, filter, file, 'ndjson', where);
    file.end();
    await finished(file);
    process.stderr.write(`${renderExported(written, flags.output)}\n`);
    this.note(where?.skippedNote());
  }
}
