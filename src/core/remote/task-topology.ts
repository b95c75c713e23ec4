import type { ChannelModel } from 'amqplib';
import { ConfigError } from '../errors/config-error.js';
import type { AmqpSettings } from '../transports/amqp/amqp-settings.js';
import { ensureQueue } from '../transports/amqp/amqp-topology.js';
import { closeQuietly } from '../transports/amqp/close-quietly.js';

/** The exchange workers publish results to (direct, durable). */
export const RESULTS_EXCHANGE = 'results';

/** Names of one endpoint's queues and routing keys. */
export interface EndpointTopology {
  readonly endpoint: string;
  /** Durable task queue the runner publishes to (default exchange) and workers consume. */
  readonly tasks: string;
  /** Routing key of results on `results`, and the durable queue bound with it that the agent consumes. */
  readonly results: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$/;

/**
 * The endpoint's queues as the agent `group` uses them: its results come back on
 * `<endpoint>.results.<group>`, so that agents of different groups sharing an endpoint never take each
 * other's results. Without a group (the worker's view): `<endpoint>.results`, where results of tasks
 * from agents older than per-group results go.
 * @throws ConfigError for a name RabbitMQ or agentctl cannot use.
 */
export function endpointTopology(endpoint: string, group?: string): EndpointTopology {
  if (!NAME.test(endpoint)) {
    throw new ConfigError(
      `invalid endpoint "${endpoint}": letters, digits, ".", "_" and "-" only`,
      'runner.endpoint',
    );
  }
  if (group !== undefined && !NAME.test(group)) {
    throw new ConfigError(`invalid agent name "${group}": letters, digits, ".", "_" and "-" only`, 'name');
  }
  const results = group === undefined ? `${endpoint}.results` : `${endpoint}.results.${group}`;
  return { endpoint, tasks: `${endpoint}.tasks`, results };
}

/**
 * Declares what is missing of an endpoint's topology: the task queue (durable; with
 * `x-single-active-consumer` unless `taskConsumers` is `shared`, so a second worker with the same
 * endpoint stands by instead of draining it), the `results` exchange, and the results queue bound to it.
 * Existing queues are used as they are (the first declaration decides their arguments).
 */
export async function declareEndpoint(
  model: ChannelModel,
  topology: EndpointTopology,
  settings: AmqpSettings,
): Promise<void> {
  const type = settings.queueType === 'quorum' ? 'quorum' : 'classic';
  await ensureQueue(model, {
    name: topology.tasks,
    type,
    declare: true,
    singleActiveConsumer: settings.taskConsumers === 'single-active',
  });
  await ensureQueue(model, { name: topology.results, type, declare: true });
  const channel = await model.createChannel();
  channel.on('error', () => undefined);
  try {
    await channel.assertExchange(RESULTS_EXCHANGE, 'direct', { durable: true });
    await channel.bindQueue(topology.results, RESULTS_EXCHANGE, topology.results);
  } finally {
    await closeQuietly(channel);
  }
}
