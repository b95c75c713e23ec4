import { BaseCommand } from '../cli/base-command.js';
import { peekFlags, peekRequest } from '../cli/peek-flags.js';
import { Args } from '../cli/vendor/oclif.js';

export default class Peek extends BaseCommand {
  static override summary =
    'Print the records of a source without touching it: no commit, no lease, no checkpoint, no ack.';
  static override description =
    "Reads the local log, an NDJSON file, a Kinesis stream (by position or time; closed shards, then their children) or a RabbitMQ stream queue (by offset or time), decodes each record with the agent's decode hook and prints it: pretty by default, NDJSON with --json (partition, position, timestamp, key, event — or raw in base64 with error for a record that does not decode), the bytes with --raw. `agentctl publish --file -` reads --json lines back. Classic and quorum queues cannot be read without taking messages: they are refused unless --requeue.";
  static override examples = [
    '<%= config.bin %> peek -n 5',
    '<%= config.bin %> peek --around-checkpoint -B 2 -A 3',
    "<%= config.bin %> peek kinesis://orders?region=eu-west-1 --from -1h --where 'event.data.total > 100'",
    '<%= config.bin %> peek local:orders --from earliest -n 0 --json | <%= config.bin %> publish --file - --source local:orders-copy',
  ];
  static override enableJsonFlag = true;
  static override args = {
    source: Args.string({ description: 'Source URI (default: --source, then the config, then local:).' }),
  };
  static override flags = peekFlags;

  async run(): Promise<undefined> {
    const { args, flags } = await this.parse(Peek);
    const request = await peekRequest(flags, Date.now());
    const { config } = await this.agentConfig(flags.config);
    const { opsTarget } = await import('../core/ops/operator-source.js');
    const target = opsTarget(config, {
      ...((args.source ?? flags.source) === undefined ? {} : { source: args.source ?? flags.source }),
      ...(flags.agent === undefined ? {} : { group: flags.agent }),
    });
    const { parseSourceUri } = await import('../core/sources/source-uri.js');
    const usesStore =
      parseSourceUri(target.uri).kind === 'local' ||
      request.around !== undefined ||
      request.start.kind === 'checkpoint';
    const store = usesStore
      ? (await this.openStore(flags, { readonly: true, mustExist: true })).store
      : undefined;
    const { openPeekReader } = await import('../core/ops/peek/open-peek-reader.js');
    const reader = await openPeekReader(target.uri, {
      ...(store === undefined ? {} : { store }),
      ...(target.settings === undefined ? {} : { settings: target.settings }),
      requeue: flags.requeue,
      ...(request.limit === undefined ? {} : { limit: request.limit }),
    });
    const { Where } = await import('../core/filter/where.js');
    const { peekWhere } = await import('../core/ops/peek/peek-where.js');
    const where =
      flags.where === undefined ? undefined : Where.compile(flags.where, peekWhere(reader.display));
    const { peek } = await import('../core/ops/peek/peek.js');
    const ui = await import('../ui/text/peek.js');
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    let shown = 0;
    try {
      const records = peek({
        reader,
        request,
        ...(config.decode === undefined ? {} : { decode: config.decode }),
        ...(where === undefined ? {} : { where }),
        ...(store === undefined
          ? {}
          : { checkpoints: () => checkpointsOf(store, target.group, reader.sourceId) }),
        signal: controller.signal,
      });
      for await (const record of records) {
        shown++;
        if (flags.raw) await write(Buffer.concat([record.raw, Buffer.from('\n')]));
        else if (this.jsonEnabled()) await write(`${JSON.stringify(ui.peekJson(record))}\n`);
        else await write(`${ui.renderPeekLine(record, process.stdout.columns)}\n`);
      }
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      await reader.close();
    }
    if (flags.requeue && shown > 0)
      this.note(
        `${shown} taken with basic.get and given back (nack, requeue): they are in the queue again, marked redelivered`,
      );
    this.note(where?.skippedNote());
    if (!this.jsonEnabled() && !flags.raw)
      process.stderr.write(`${ui.renderPeekSummary(shown, reader.display, request.follow === true)}\n`);
    return undefined;
  }

  /** `--json` output is the NDJSON of the records only: no result line after them. */
  override logJson(json: unknown): void {
    if (json !== undefined) super.logJson(json);
  }
}

async function checkpointsOf(
  store: import('../core/store/state-store.js').StateStore,
  group: string,
  source: string,
): Promise<Map<string, string>> {
  const rows = await store.checkpoints.get(group, source);
  return new Map([...rows].map(([partition, checkpoint]) => [partition, checkpoint.position]));
}

/** Writes to stdout, waiting when its buffer is full (a peek of a million records piped to a slow reader). */
function write(chunk: string | Buffer): Promise<void> {
  return new Promise((resolve) => {
    if (process.stdout.write(chunk)) resolve();
    else process.stdout.once('drain', resolve);
  });
}
