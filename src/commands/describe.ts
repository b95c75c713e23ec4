import { BaseCommand } from '../cli/base-command.js';
import { agentFlag, sourceFlag } from '../cli/flags.js';
import { Args, Flags } from '../cli/vendor/oclif.js';

export default class Describe extends BaseCommand {
  static override summary = 'Show how a source is laid out and where it stands, without reading a message.';
  static override description =
    'Kinesis: stream status, retention, shards (open/closed, parents and children, hash key and sequence ranges), enhanced fan-out consumers. RabbitMQ: queue type, ready/unacked messages, consumers, dead-letter and other arguments, each with where the value came from (a passive declare, agentctl’s settings, or with --management-url the management API, which adds bindings, rates and consumer hosts). Local log: partitions, first/last offset, records, and each group’s checkpoint and lag. Reads only: no message is read or acked, no lease taken, nothing written.';
  static override examples = [
    '<%= config.bin %> describe',
    "<%= config.bin %> describe 'kinesis://orders?region=eu-west-1' --key customer-42",
    "<%= config.bin %> describe 'amqp://guest:guest@127.0.0.1/?queue=orders' --management-url http://127.0.0.1:15672",
    '<%= config.bin %> describe local:events --json',
  ];
  static override enableJsonFlag = true;
  static override args = {
    source: Args.string({
      description:
        'Source URI: local:[TOPIC], kinesis://STREAM?region=R, amqp://user:pass@host/vhost?queue=Q (default: the config’s source).',
    }),
  };
  static override flags = {
    source: sourceFlag,
    agent: agentFlag,
    key: Flags.string({
      summary: 'A partition key: the Kinesis shard (MD5 hash key) or log partition its records go to.',
      env: 'AGENTCTL_KEY',
    }),
    'management-url': Flags.string({
      summary:
        'RabbitMQ management API (http://[USER:PASS@]HOST:15672): bindings, rates, consumer hosts, arguments.',
      env: 'AGENTCTL_MANAGEMENT_URL',
    }),
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Describe);
    const { config } = await this.agentConfig(flags.config);
    const { describeSource } = await import('../core/ops/describe.js');
    const description = await describeSource(
      async () => (await this.openStore(flags, { readonly: true, mustExist: true })).store,
      config,
      {
        ...((args.source ?? flags.source) === undefined ? {} : { source: args.source ?? flags.source }),
        ...(flags.agent === undefined ? {} : { group: flags.agent }),
        ...(flags.key === undefined ? {} : { key: flags.key }),
        ...(flags['management-url'] === undefined ? {} : { managementUrl: flags['management-url'] }),
      },
    );
    if (!this.jsonEnabled()) {
      const { renderDescription } = await import('../ui/text/describe.js');
      this.log(renderDescription(description));
    }
    return description;
  }
}
