import type { Channel, ChannelModel, Options } from 'amqplib';
import { describeError } from '../../errors/agentctl-error.js';
import { SourceUnavailableError } from '../../errors/source-unavailable-error.js';
import { closeQuietly } from './close-quietly.js';

export type QueueType = 'classic' | 'quorum' | 'stream';

/** How a queue is declared when it does not exist yet. */
export interface QueueSpec {
  readonly name: string;
  readonly type: QueueType;
  /** Declare it when missing (else a missing queue is an error). */
  readonly declare: boolean;
  readonly singleActiveConsumer?: boolean;
  /** `x-dead-letter-exchange`; the exchange (fanout) and a `<queue>.dead` queue bound to it are declared. */
  readonly deadLetterExchange?: string;
  /** `x-delivery-limit` (quorum queues). */
  readonly deliveryLimit?: number;
}

/** The AMQP reply code of a channel or connection error (404 not found, 406 precondition failed, …). */
export function replyCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** Runs `work` on a throwaway channel: a passive check that fails closes only that channel. */
export async function onTemporaryChannel<T>(
  model: ChannelModel,
  work: (channel: Channel) => Promise<T>,
): Promise<T> {
  const channel = await model.createChannel();
  channel.on('error', () => undefined);
  try {
    return await work(channel);
  } finally {
    await closeQuietly(channel);
  }
}

/**
 * Makes sure the queue exists. An existing queue is used as it is, whatever its arguments (re-declaring
 * it with different ones would fail with 406 and close the channel); a missing one is declared durable
 * with the spec's type and arguments, or reported when `declare` is off.
 * @throws SourceUnavailableError when the queue is missing and may not be declared, or cannot be.
 */
export async function ensureQueue(model: ChannelModel, spec: QueueSpec): Promise<void> {
  const exists = await onTemporaryChannel(model, async (channel) => {
    try {
      await channel.checkQueue(spec.name);
      return true;
    } catch (error) {
      if (replyCode(error) === 404) return false;
      throw error;
    }
  });
  if (exists) return;
  if (!spec.declare) {
    throw new SourceUnavailableError(`queue "${spec.name}" does not exist`, {
      hint: 'declare it, or let agentctl declare it (adapters.amqp.declare: true)',
    });
  }
  const args = queueArguments(spec);
  await onTemporaryChannel(model, async (channel) => {
    if (spec.deadLetterExchange !== undefined) {
      await channel.assertExchange(spec.deadLetterExchange, 'fanout', { durable: true });
      await channel.assertQueue(`${spec.name}.dead`, { durable: true });
      await channel.bindQueue(`${spec.name}.dead`, spec.deadLetterExchange, '');
    }
    const options: Options.AssertQueue = { durable: true, arguments: args };
    try {
      await channel.assertQueue(spec.name, options);
    } catch (error) {
      throw new SourceUnavailableError(`cannot declare queue "${spec.name}": ${describeError(error)}`, {
        cause: error,
        hint: "check the user's configure permission on the vhost (rabbitmqctl list_permissions)",
      });
    }
  });
}

/** The arguments a missing queue is declared with (`ensureQueue`). */
export function queueArguments(spec: QueueSpec): Record<string, unknown> {
  const args: Record<string, unknown> = { 'x-queue-type': spec.type };
  if (spec.singleActiveConsumer) args['x-single-active-consumer'] = true;
  if (spec.deliveryLimit !== undefined && spec.type === 'quorum')
    args['x-delivery-limit'] = spec.deliveryLimit;
  if (spec.deadLetterExchange !== undefined) args['x-dead-letter-exchange'] = spec.deadLetterExchange;
  return args;
}

/**
 * A passive declare of the queue on a throwaway channel: its ready messages and consumers, as the broker
 * says. @throws the broker's channel error (reply code 404 when the queue does not exist).
 */
export async function passiveDeclare(
  model: ChannelModel,
  name: string,
): Promise<{ ready: number; consumers: number }> {
  const ok = await onTemporaryChannel(model, (channel) => channel.checkQueue(name));
  return { ready: ok.messageCount, consumers: ok.consumerCount };
}

/** Ready messages and consumers of a queue, or `undefined` when it cannot be checked now. */
export async function checkQueue(
  model: ChannelModel | undefined,
  name: string,
): Promise<{ ready: number; consumers: number } | undefined> {
  if (model === undefined) return undefined;
  try {
    const ok = await onTemporaryChannel(model, (channel) => channel.checkQueue(name));
    return { ready: ok.messageCount, consumers: ok.consumerCount };
  } catch {
    return undefined;
  }
}
