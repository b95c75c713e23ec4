import type { AgentConfig } from '../config/agent-config.js';
import { UsageError } from '../errors/usage-error.js';
import { parseSourceUri, SOURCE_URI_HELP } from '../sources/source-uri.js';
import type { StateStore } from '../store/state-store.js';
import { amqpSourceOptions } from '../transports/amqp/amqp-queue-options.js';
import { kinesisSettings } from '../transports/kinesis/kinesis-settings.js';
import type { AmqpQueueDescription, ValueOrigin } from './describe-amqp.js';
import type { KinesisDescription } from './describe-kinesis.js';
import type { LocalLogDescription } from './describe-local.js';
import { opsTarget } from './operator-source.js';

/** What `agentctl describe` shows of a source, by kind. */
export type SourceDescription = (LocalLogDescription | KinesisDescription | AmqpQueueDescription) & {
  /** The source URI, credentials redacted. */
  readonly source: string;
};

export interface DescribeOptions {
  /** The source URI (default: the config's source). */
  readonly source?: string;
  /** The agent's group, whose checkpoints the local log shows even when it has none. */
  readonly group?: string;
  /** A partition key: the shard (Kinesis) or partition (local log) its records go to. */
  readonly key?: string;
  /** The RabbitMQ management API, for what a passive declare does not tell. */
  readonly managementUrl?: string;
  readonly signal?: AbortSignal;
}

/** Queue arguments agentctl declares, by the URI parameter that sets each. */
const ARGUMENT_PARAMS = ['type', 'deadLetterExchange', 'deliveryLimit', 'singleActiveConsumer'];

/**
 * Describes a source without reading or settling a message, taking a lease or writing to the store:
 * a Kinesis stream, an AMQP queue or a topic of the embedded log. The source is the one given, else the
 * config's (as every operator command picks it). The state store is opened (by `store`) only for the
 * embedded log. Each kind's describer is imported when that kind is described: the AWS SDK and amqplib
 * cost ~0.1 s of CPU to load, which `describe` of the local log does not need.
 * @throws UsageError for a source kind that cannot be described or a flag that does not apply to it.
 */
export async function describeSource(
  store: () => Promise<StateStore>,
  config: AgentConfig,
  options: DescribeOptions = {},
): Promise<SourceDescription> {
  const target = opsTarget(config, {
    ...(options.source === undefined ? {} : { source: options.source }),
    ...(options.group === undefined ? {} : { group: options.group }),
  });
  const parsed = parseSourceUri(target.uri);
  const source = parsed.display;
  if (options.managementUrl !== undefined && parsed.kind !== 'amqp') {
    throw new UsageError(`--management-url is for RabbitMQ sources; ${source} is a ${parsed.kind} source`, {
      hint: 'leave --management-url out, or describe an amqp:// source',
    });
  }
  if (options.key !== undefined && parsed.kind === 'amqp') {
    throw new UsageError(
      `--key maps a partition key to a Kinesis shard or a log partition; ${source} is a queue`,
      {
        hint: 'leave --key out for an amqp:// source',
      },
    );
  }
  const key = options.key === undefined ? {} : { key: options.key };
  switch (parsed.kind) {
    case 'local': {
      const { describeLocalLog } = await import('./describe-local.js');
      return {
        source,
        ...(await describeLocalLog(await store(), parsed.name, { group: target.group, ...key })),
      };
    }
    case 'kinesis': {
      const [{ createKinesisClient }, { describeKinesisStream }] = await Promise.all([
        import('../transports/kinesis/kinesis-client.js'),
        import('./describe-kinesis.js'),
      ]);
      const settings = kinesisSettings(parsed.params, target.settings?.kinesis);
      const client = createKinesisClient(settings);
      try {
        const signal = options.signal === undefined ? {} : { signal: options.signal };
        return {
          source,
          ...(await describeKinesisStream(client, parsed.name, source, { ...key, ...signal })),
        };
      } finally {
        client.destroy();
      }
    }
    case 'amqp': {
      const amqp = amqpSourceOptions(target.uri, target.settings);
      const { describeAmqpQueue } = await import('./describe-amqp.js');
      const fromSettings = (given: boolean): ValueOrigin =>
        given ? 'uri' : target.settings?.amqp === undefined ? 'default' : 'config';
      const description = await describeAmqpQueue(amqp, {
        settingsFrom: {
          type: fromSettings(parsed.params.has('type')),
          arguments: fromSettings(ARGUMENT_PARAMS.some((p) => parsed.params.has(p))),
        },
        ...(options.managementUrl === undefined ? {} : { managementUrl: options.managementUrl }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
      return { source, ...description };
    }
    default:
      throw new UsageError(
        `cannot describe ${source}: describe knows local:, kinesis:// and amqp:// sources`,
        {
          hint: SOURCE_URI_HELP,
        },
      );
  }
}
