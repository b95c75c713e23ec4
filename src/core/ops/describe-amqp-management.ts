import { type ManagementEndpoint, managementGet } from '../transports/amqp/management-api.js';

/** A consumer of the queue as the management API shows it: where it connects from and how. */
export interface ConsumerHostView {
  readonly tag: string;
  readonly host?: string;
  readonly port?: number;
  readonly connection?: string;
  readonly prefetch?: number;
  readonly ackRequired?: boolean;
}

export interface BindingView {
  readonly exchange: string;
  readonly routingKey: string;
  readonly arguments: Readonly<Record<string, unknown>>;
}

/** What only the management API knows about a queue. */
export interface ManagementQueueView {
  readonly type?: string;
  readonly arguments: Readonly<Record<string, unknown>>;
  readonly ready?: number;
  readonly unacked?: number;
  readonly consumers?: number;
  readonly durable?: boolean;
  readonly autoDelete?: boolean;
  readonly exclusive?: boolean;
  readonly state?: string;
  readonly node?: string;
  readonly policy?: string;
  /** Messages per second, from the API's last sample. */
  readonly rates: Readonly<Record<string, number>>;
  readonly consumerHosts: readonly ConsumerHostView[];
  readonly bindings: readonly BindingView[];
}

interface RawQueue {
  type?: string;
  arguments?: Record<string, unknown>;
  messages_ready?: number;
  messages_unacknowledged?: number;
  consumers?: number;
  durable?: boolean;
  auto_delete?: boolean;
  exclusive?: boolean;
  state?: string;
  node?: string;
  policy?: string | null;
  message_stats?: Record<string, unknown>;
  consumer_details?: {
    consumer_tag?: string;
    prefetch_count?: number;
    ack_required?: boolean;
    channel_details?: { peer_host?: string; peer_port?: number; connection_name?: string };
  }[];
}

interface RawBinding {
  source?: string;
  routing_key?: string;
  arguments?: Record<string, unknown>;
}

/** The rates the API reports, by their `*_details` name: `publish`, `deliver_get`, `ack`, `redeliver`, … */
function ratesOf(stats: Record<string, unknown> | undefined): Record<string, number> {
  const rates: Record<string, number> = {};
  for (const [name, value] of Object.entries(stats ?? {})) {
    const rate = (value as { rate?: unknown } | null)?.rate;
    if (name.endsWith('_details') && typeof rate === 'number')
      rates[name.slice(0, -'_details'.length)] = rate;
  }
  return rates;
}

/**
 * The queue as the management API shows it (`GET /api/queues/VHOST/NAME` and its bindings), or
 * `undefined` when the API does not know it. @throws SourceUnavailableError when the API cannot be read.
 */
export async function managementQueue(
  endpoint: ManagementEndpoint,
  vhost: string,
  queue: string,
  signal?: AbortSignal,
): Promise<ManagementQueueView | undefined> {
  const path = `queues/${encodeURIComponent(vhost)}/${encodeURIComponent(queue)}`;
  const raw = await managementGet<RawQueue>(endpoint, path, signal);
  if (raw === undefined) return undefined;
  const bindings = (await managementGet<RawBinding[]>(endpoint, `${path}/bindings`, signal)) ?? [];
  return {
    ...(raw.type === undefined ? {} : { type: raw.type }),
    arguments: raw.arguments ?? {},
    ...(raw.messages_ready === undefined ? {} : { ready: raw.messages_ready }),
    ...(raw.messages_unacknowledged === undefined ? {} : { unacked: raw.messages_unacknowledged }),
    ...(raw.consumers === undefined ? {} : { consumers: raw.consumers }),
    ...(raw.durable === undefined ? {} : { durable: raw.durable }),
    ...(raw.auto_delete === undefined ? {} : { autoDelete: raw.auto_delete }),
    ...(raw.exclusive === undefined ? {} : { exclusive: raw.exclusive }),
    ...(raw.state === undefined ? {} : { state: raw.state }),
    ...(raw.node === undefined ? {} : { node: raw.node }),
    ...(raw.policy ? { policy: raw.policy } : {}),
    rates: ratesOf(raw.message_stats),
    consumerHosts: (raw.consumer_details ?? []).map((c) => ({
      tag: c.consumer_tag ?? '',
      ...(c.channel_details?.peer_host === undefined ? {} : { host: c.channel_details.peer_host }),
      ...(c.channel_details?.peer_port === undefined ? {} : { port: c.channel_details.peer_port }),
      ...(c.channel_details?.connection_name === undefined
        ? {}
        : { connection: c.channel_details.connection_name }),
      ...(c.prefetch_count === undefined ? {} : { prefetch: c.prefetch_count }),
      ...(c.ack_required === undefined ? {} : { ackRequired: c.ack_required }),
    })),
    bindings: bindings.map((b) => ({
      exchange: b.source === '' || b.source === undefined ? '(default)' : b.source,
      routingKey: b.routing_key ?? '',
      arguments: b.arguments ?? {},
    })),
  };
}
