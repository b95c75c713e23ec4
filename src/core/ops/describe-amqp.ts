import { NotFoundError } from '../errors/not-found-error.js';
import { redactDeep } from '../redact.js';
import { AmqpConnection } from '../transports/amqp/amqp-connection.js';
import { type AmqpSourceOptions, queueSpec } from '../transports/amqp/amqp-queue-options.js';
import { passiveDeclare, queueArguments, replyCode } from '../transports/amqp/amqp-topology.js';
import { managementEndpoint } from '../transports/amqp/management-api.js';
import { type ManagementQueueView, managementQueue } from './describe-amqp-management.js';

/**
 * Where a value shown for a queue came from: the broker's answer to a passive declare, the management
 * API, or agentctl's own settings (the source URI, the config's `adapters.amqp`, the default) — the last
 * three say what agentctl would declare, not what the broker holds.
 */
export type ValueOrigin = 'passive-declare' | 'management' | 'uri' | 'config' | 'default';

export interface Sourced<T> {
  readonly value: T;
  readonly from: ValueOrigin;
}

export interface AmqpQueueDescription {
  readonly kind: 'amqp';
  /** `host:port/vhost`, without credentials. */
  readonly server: string;
  readonly vhost: string;
  readonly queue: string;
  readonly type: Sourced<string>;
  readonly ready: Sourced<number>;
  /** Delivered and not yet acked: only the management API knows. */
  readonly unacked?: Sourced<number>;
  readonly consumers: Sourced<number>;
  readonly arguments: Sourced<Readonly<Record<string, unknown>>>;
  /** `x-dead-letter-exchange` / `x-dead-letter-routing-key` of `arguments`, when set. */
  readonly deadLetter?: { readonly exchange: string; readonly routingKey?: string };
  /** What the management API adds; absent without `--management-url`. */
  readonly management?: ManagementQueueView & { readonly url: string };
}

/**
 * Describes an AMQP queue without touching its messages: a passive declare for ready messages and
 * consumers; with a management URL, the API for the type, arguments, unacked count, rates, consumer hosts
 * and bindings. Without it the type and arguments shown are those agentctl declares the queue with, and
 * say so. Credentials never appear in the result.
 * @throws NotFoundError when the queue does not exist; SourceUnavailableError when the broker or the API
 * cannot be reached.
 */
export async function describeAmqpQueue(
  options: AmqpSourceOptions,
  given: {
    readonly managementUrl?: string;
    /** Where agentctl's own type and queue arguments came from: the URI, `adapters.amqp` or defaults. */
    readonly settingsFrom: { readonly type: ValueOrigin; readonly arguments: ValueOrigin };
    readonly signal?: AbortSignal;
  },
): Promise<AmqpQueueDescription> {
  const { server, queue } = options;
  const connection = new AmqpConnection({
    server,
    settings: { ...options.settings, connectAttempts: 1 },
    name: 'agentctl describe',
  });
  let declared: { ready: number; consumers: number };
  try {
    declared = await passiveDeclare(await connection.open(given.signal), queue);
  } catch (error) {
    if (replyCode(error) === 404) {
      throw new NotFoundError(`queue "${queue}" does not exist on ${server.address}`, {
        hint: 'check ?queue= and the vhost in the source URI (rabbitmqctl list_queues -p VHOST)',
      });
    }
    throw error;
  } finally {
    await connection.close();
  }
  const management =
    given.managementUrl === undefined
      ? undefined
      : await managementView(options, given.managementUrl, given.signal);
  const declaredArgs = queueArguments(queueSpec(options));
  const args: Sourced<Readonly<Record<string, unknown>>> =
    management === undefined
      ? { value: declaredArgs, from: given.settingsFrom.arguments }
      : { value: management.arguments, from: 'management' };
  const dlx = args.value['x-dead-letter-exchange'];
  const dlk = args.value['x-dead-letter-routing-key'];
  return redactDeep({
    kind: 'amqp' as const,
    server: server.address,
    vhost: server.vhost,
    queue,
    type:
      management?.type === undefined
        ? { value: options.type, from: given.settingsFrom.type }
        : { value: management.type, from: 'management' as const },
    ready: { value: declared.ready, from: 'passive-declare' as const },
    ...(management?.unacked === undefined
      ? {}
      : { unacked: { value: management.unacked, from: 'management' as const } }),
    consumers: { value: declared.consumers, from: 'passive-declare' as const },
    arguments: args,
    ...(typeof dlx === 'string'
      ? { deadLetter: { exchange: dlx, ...(typeof dlk === 'string' ? { routingKey: dlk } : {}) } }
      : {}),
    ...(management === undefined ? {} : { management }),
  });
}

async function managementView(
  options: AmqpSourceOptions,
  url: string,
  signal: AbortSignal | undefined,
): Promise<(ManagementQueueView & { url: string }) | undefined> {
  const { server, queue } = options;
  const endpoint = managementEndpoint(url, {
    username: server.connect.username ?? 'guest',
    password: server.connect.password ?? 'guest',
  });
  const view = await managementQueue(endpoint, server.vhost, queue, signal);
  if (view === undefined) {
    throw new NotFoundError(
      `the management API at ${endpoint.display} does not know queue "${queue}" in vhost "${server.vhost}"`,
      { hint: 'is --management-url the same broker as the source URI?' },
    );
  }
  return { ...view, url: endpoint.display };
}
