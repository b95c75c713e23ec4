import { UsageError } from '../../errors/usage-error.js';
import { type AmqpSettings, amqpSettingsOf } from './amqp-settings.js';
import type { QueueSpec, QueueType } from './amqp-topology.js';
import { AMQP_URI_HELP, type AmqpServer, flag, parseAmqpUri, positive } from './amqp-uri.js';

/** Everything an AMQP source needs, from its URI and `adapters.amqp` (the URI wins). */
export interface AmqpSourceOptions {
  readonly server: AmqpServer;
  readonly queue: string;
  readonly type: QueueType;
  /** Settings with the URI's overrides applied (`prefetch`, `exclusive`, …). */
  readonly settings: AmqpSettings;
}

const TYPES: readonly QueueType[] = ['classic', 'quorum', 'stream'];

/**
 * Reads a source URI: `amqp[s]://USER:PASS@HOST:PORT/VHOST?queue=NAME` with optional `type`
 * (`classic`, `quorum`, `stream`), `prefetch`, `exclusive`, `singleActiveConsumer`, `deadLetterExchange`,
 * `deliveryLimit`, `declare` and `heartbeat` (seconds). @throws UsageError / ConfigError.
 */
export function amqpSourceOptions(
  uri: string,
  adapters: Readonly<Record<string, unknown>> | undefined,
  role: 'source' | 'sink' = 'source',
): AmqpSourceOptions {
  const server = parseAmqpUri(uri, role);
  const { params, display } = server;
  const queue = params.get('queue') ?? '';
  if (queue === '')
    throw new UsageError(`invalid ${role} "${display}": missing ?queue=NAME`, { hint: AMQP_URI_HELP });
  const base = amqpSettingsOf(adapters);
  const rawType = params.get('type') ?? base.queueType;
  if (!TYPES.includes(rawType as QueueType)) {
    throw new UsageError(
      `invalid ${role} "${display}": type must be classic, quorum or stream, got "${rawType}"`,
      {
        hint: AMQP_URI_HELP,
      },
    );
  }
  const exclusive = flag(params, 'exclusive');
  const singleActiveConsumer = flag(params, 'singleActiveConsumer');
  const declare = flag(params, 'declare');
  const deadLetterExchange = params.get('deadLetterExchange');
  const settings: AmqpSettings = {
    ...base,
    ...(params.has('prefetch') ? { prefetch: positive(params, 'prefetch', display) } : {}),
    ...(params.has('heartbeat') ? { heartbeatSeconds: Number(params.get('heartbeat')) || 0 } : {}),
    ...(exclusive === undefined ? {} : { exclusive }),
    ...(singleActiveConsumer === undefined ? {} : { singleActiveConsumer }),
    ...(declare === undefined ? {} : { declare }),
    ...(deadLetterExchange ? { deadLetterExchange } : {}),
    ...(params.has('deliveryLimit') ? { deliveryLimit: positive(params, 'deliveryLimit', display) } : {}),
  };
  return { server, queue, type: rawType as QueueType, settings };
}

/** The source id: vhost and queue, never host or credentials (`amqp:orders`, `amqp:prod/orders`). */
export function amqpSourceId(server: AmqpServer, queue: string): string {
  return server.vhost === '/' ? `amqp:${queue}` : `amqp:${server.vhost}/${queue}`;
}

/** How the source's queue is declared when missing. */
export function queueSpec(options: AmqpSourceOptions): QueueSpec {
  const { settings, queue, type } = options;
  return {
    name: queue,
    type,
    declare: settings.declare,
    singleActiveConsumer: settings.singleActiveConsumer,
    ...(settings.deadLetterExchange === undefined ? {} : { deadLetterExchange: settings.deadLetterExchange }),
    ...(settings.deliveryLimit === undefined ? {} : { deliveryLimit: settings.deliveryLimit }),
  };
}
