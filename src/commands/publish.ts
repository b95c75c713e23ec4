import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { sourceFlag } from '../cli/flags.js';

export default class Publish extends BaseCommand {
  static override summary =
    'Append events (CloudEvents JSON or NDJSON) to a source, for tests and ad-hoc operations.';
  static override description =
    'Reads events from --file (a JSON event, a JSON array, or NDJSON; - for stdin) or builds one from --type/--data. Every event is checked to be a CloudEvent unless --raw.';
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
      env: 'AGENTCTL_EVENT_ID',
      dependsOn: ['type'],
    }),
    'partition-key': Flags.string({
      summary: 'Dot path of the field that picks the partition (default subject, else id).',
      env: 'AGENTCTL_PARTITION_KEY',
    }),
    raw: Flags.boolean({
      summary: 'Publish lines as they are, without checking they are events.',
      env: 'AGENTCTL_RAW',
    }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(Publish);
    if (flags.file === undefined && flags.type === undefined) {
      this.error('nothing to publish: give --file FILE (or - for stdin), or --type TYPE [--data JSON]', {
        exit: 2,
      });
    }
    const { parseEvents, buildEvent, publishEvents } = await import('../core/ops/publish-events.js');
    let events: ReturnType<typeof parseEvents>;
    if (flags.type !== undefined) {
      const event = buildEvent({
        type: flags.type,
        ...(flags.data === undefined ? {} : { data: flags.data }),
        ...(flags.subject === undefined ? {} : { subject: flags.subject }),
        ...(flags.id === undefined ? {} : { id: flags.id }),
      });
      events = parseEvents(
        JSON.stringify(event),
        flags['partition-key'] ? { partitionKey: flags['partition-key'] } : {},
      );
    } else {
      const { readFile } = await import('node:fs/promises');
      const text = flags.file === '-' ? await readStdin() : await readFile(flags.file!, 'utf8');
      events = parseEvents(text, {
        raw: flags.raw,
        ...(flags['partition-key'] ? { partitionKey: flags['partition-key'] } : {}),
      });
    }
    const { store, config } = await this.openStore(flags);
    const target = flags.source ?? config.source ?? 'local:';
    const result = await publishEvents(target, events, {
      store,
      ...(config.consumer?.localPartitions ? { localPartitions: config.consumer.localPartitions } : {}),
    });
    if (!this.jsonEnabled()) {
      const spread = Object.entries(result.partitions)
        .map(([p, n]) => `${p}:${n}`)
        .join(' ');
      this.log(
        `published ${result.published} event${result.published === 1 ? '' : 's'} to ${result.target}${spread ? ` (partitions ${spread})` : ''}`,
      );
    }
    return result;
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
