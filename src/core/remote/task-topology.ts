import type { ChannelModel } from 'amqplib';
import { ConfigError } from '../errors/config-error.js';
import type { AmqpSettings } from '../transports/amqp/amqp-settings.js';
import { ensureQueue } from '../transports/amqp/amqp-topology.js';
import { closeQuietly } from '../transports/amqp/close-quietly.js';
import type { OutgoingMessage } from '../transports/amqp/confirmed-publisher.js';

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

/**
 * A task as published: persistent and mandatory (an unroutable task is returned, not dropped) on the
 * default exchange to the task queue; its `messageId` is the run id.
 */
export function taskOutgoing(topology: EndpointTopology, runId: string, content: Buffer): OutgoingMessage {
  return outgoing('', topology.tasks, runId, content, 'agentctl.task');
}

/** A result as published: persistent and mandatory, to `results` with the task's routing key (`routing`). */
export function resultOutgoing(routing: string, runId: string, content: Buffer): OutgoingMessage {
  return outgoing(RESULTS_EXCHANGE, routing, runId, content, 'agentctl.result');
}

function outgoing(
  exchange: string,
  routingKey: string,
  messageId: string,
  content: Buffer,
  type: string,
): OutgoingMessage {
  return {
    exchange,
    routingKey,
    content,
    options: { persistent: true, mandatory: true, messageId, contentType: 'application/json', type },
  };
}
