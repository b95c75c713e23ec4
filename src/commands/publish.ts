import { BaseCommand } from '../cli/base-command.js';
import { sourceFlag } from '../cli/flags.js';
import { readFlagFile } from '../cli/read-flag-file.js';
import { Flags } from '../cli/vendor/oclif.js';

export default class Publish extends BaseCommand {
  static override summary =
    'Append events (CloudEvents JSON or NDJSON) to a source, for tests and ad-hoc operations.';
  static override description =
    'Reads events from --file (a JSON event, a JSON array, or NDJSON; - for stdin; the lines of `agentctl peek --json` too, each published as its event under its key) or builds one from --type/--data. Every event is checked to be a UTF-8 CloudEvent unless --raw: then every line (cut at \\n) is published byte for byte, a \\r before the \\n included, and empty lines are skipped and counted on stderr and in --json.';
  static override examples = [
    '<%= config.bin %> publish --file events.ndjson',
    '<%= config.bin %> publish --type submission.created --data \'{"submissionId":"s-1","title":"On Streams"}\' --subject s-1',
    'cat events.ndjson | <%= config.bin %> publish --file - --source local:submissions --partition-key data.submissionId',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    source: sourceFlag,
    file: Flags.string({
      char: 'f',
      summary: 'Events to publish; - reads stdin.',
      env: 'AGENTCTL_FILE',
      exclusive: ['type'],
    }),
    type: Flags.string({ char: 't', summary: 'Build one event of this type.', env: 'AGENTCTL_TYPE' }),
    data: Flags.string({
      char: 'd',
      summary: 'JSON data of the built event.',
      env: 'AGENTCTL_DATA',
      dependsOn: ['type'],
    }),
    subject: Flags.string({
      summary: 'Subject of the built event.',
      env: 'AGENTCTL_SUBJECT',
      dependsOn: ['type'],
    }),
    id: Flags.string({
      summary: 'Id of the built event (default: a new UUID).',
      env: 'AGENTCTL_ID',
      dependsOn: ['type'],
    }),
    'partition-key': Flags.string({
      summary: 'Dot path of the field that picks the partition (default subject, else id).',
      env: 'AGENTCTL_PARTITION_KEY',
    }),
    raw: Flags.boolean({
      summary: 'Publish each line byte for byte, without checking it is an event; empty lines are skipped.',
      env: 'AGENTCTL_RAW',
    }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(Publish);
    if (flags.file === undefined && flags.type === undefined) {
      const { UsageError } = await import('../core/errors/usage-error.js');
      throw new UsageError(
        'nothing to publish: give --file FILE (or - for stdin), or --type TYPE [--data JSON]',
      );
    }
    const { parseEvents, buildEvent, outgoingEvent, publishEvents } = await import(
      '../core/ops/publish-events.js'
    );
    let parsed: ReturnType<typeof parseEvents>;
    if (flags.type !== undefined) {
      const event = buildEvent({
        type: flags.type,
        ...(flags.data === undefined ? {} : { data: flags.data }),
        ...(flags.subject === undefined ? {} : { subject: flags.subject }),
        ...(flags.id === undefined ? {} : { id: flags.id }),
      });
      parsed = { events: [outgoingEvent(event, flags['partition-key'])], emptyLines: [] };
    } else {
      const bytes = flags.file === '-' ? await readStdin() : await readFlagFile('--file', flags.file!);
      parsed = parseEvents(bytes, {
        raw: flags.raw,
        ...(flags['partition-key'] ? { partitionKey: flags['partition-key'] } : {}),
      });
    }
    const { store, config } = await this.openStore(flags);
    const { sourceUriOf } = await import('../core/config/build-agent.js');
    const target = sourceUriOf(config, flags.source);
    const published = await publishEvents(target, parsed.events, {
      store,
      ...(config.consumer?.localPartitions ? { localPartitions: config.consumer.localPartitions } : {}),
    });
    const empty = parsed.emptyLines;
    const result = flags.raw ? { ...published, skipped: { emptyLines: empty.length } } : published;
    const ui = await import('../ui/text/publish.js');
    // On stderr even with --json (oclif mutes logToStderr then): stdout holds only the result.
    if (empty.length > 0) process.stderr.write(`${ui.renderSkippedLines(empty)}\n`);
    if (!this.jsonEnabled()) this.log(ui.renderPublished(result));
    return result;
  }
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
