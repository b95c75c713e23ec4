import type { Message as AmqpMessage, Channel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import type { Clock } from '../clock.js';
import { redactUri } from '../redact.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import { ManagedChannel } from '../transports/amqp/amqp-channel.js';
import { AmqpConnection, type AmqpConnectionState } from '../transports/amqp/amqp-connection.js';
import { type AmqpSettings, amqpSettingsOf } from '../transports/amqp/amqp-settings.js';
import { parseAmqpUri } from '../transports/amqp/amqp-uri.js';
import { closeQuietly } from '../transports/amqp/close-quietly.js';
import { ConfirmedPublisher, type OutgoingMessage } from '../transports/amqp/confirmed-publisher.js';
import { declareEndpoint, type EndpointTopology, endpointTopology } from './task-topology.js';

/** Which half of an endpoint a link serves: the runner sends tasks and takes results, a worker the reverse. */
export type EndpointSide = 'runner' | 'worker';

/** A message taken from the incoming queue. Its tag means something only on the channel generation it came on. */
export interface Delivery {
  readonly generation: number;
  readonly tag: number;
}

export interface TaskEndpointOptions {
  readonly side: EndpointSide;
  /** Broker URL, `amqp[s]://USER:PASS@HOST:PORT/VHOST` (credentials are never printed). */
  readonly url: string;
  readonly endpoint: string;
  /** The runner's agent (consumer group): its results come back on `<endpoint>.results.<group>`. */
  readonly group?: string;
  /** The config's `adapters` (its `amqp` entry is used). */
  readonly settings?: Readonly<Record<string, unknown>>;
  /** The connection is named `agentctl <side> <name>` (default: the endpoint). */
  readonly name?: string;
  readonly clock: Clock;
  readonly telemetry?: Telemetry;
  /** Whether the idle connection keeps the process alive (see `AmqpConnectionOptions`; default true). */
  readonly keepsProcessAlive?: boolean;
  /** Deliveries of the incoming queue held unacked at once (the consumer's prefetch). */
  readonly prefetch: number;
  /** A message on the incoming queue: results for a runner, tasks for a worker. Must not throw. */
  readonly onMessage: (message: ConsumeMessage, delivery: Delivery) => void;
  /** The incoming channel of `generation` is gone: its deliveries cannot be acked any more. */
  readonly lost?: (generation: number) => void;
  /** The outgoing channel (re)opened: what waited for it can be published now. */
  readonly reopened?: () => void;
}

/**
 * One side's link to a task endpoint (`<endpoint>.tasks`, the `results` exchange, a results queue): one
 * AMQP connection with two channels kept open through reconnects — a confirm channel to publish on (tasks
 * for the runner, results for a worker) and a plain one consuming the other queue with manual acks.
 *
 * The endpoint is declared whenever the channel that uses the task queue opens: the runner's outgoing
 * channel (before it publishes), a worker's incoming one (before it consumes). A consumer cancelled by the
 * broker (its queue deleted) closes its channel, which is opened, declared and subscribed again.
 * Acks and rejects are only sent on the channel generation a delivery came from, never as stale tags.
 */
export class TaskEndpoint {
  readonly topology: EndpointTopology;
  readonly settings: AmqpSettings;
  /** The broker URL without credentials, for messages. */
  readonly display: string;
  private readonly connection: AmqpConnection;
  private readonly outgoing: ManagedChannel<ConfirmChannel>;
  private readonly incoming: ManagedChannel<Channel>;
  private readonly publisher: ConfirmedPublisher;
  private readonly incomingQueue: string;
  private consumerTag: string | undefined;
  private consuming = true;

  constructor(private readonly options: TaskEndpointOptions) {
    const { side, endpoint, clock } = options;
    this.settings = amqpSettingsOf(options.settings);
    this.topology = endpointTopology(endpoint, options.group);
    this.display = redactUri(options.url);
    const server = parseAmqpUri(options.url, `${side} url`);
    const telemetry = options.telemetry ? { telemetry: options.telemetry } : {};
    this.connection = new AmqpConnection({
      server,
      settings: this.settings,
      name: `agentctl ${side} ${options.name ?? endpoint}`,
      clock,
      ...(options.keepsProcessAlive === undefined ? {} : { keepsProcessAlive: options.keepsProcessAlive }),
      ...telemetry,
    });
    const [sends, takes] = side === 'runner' ? ['tasks', 'results'] : ['results', 'tasks'];
    this.incomingQueue = side === 'runner' ? this.topology.results : this.topology.tasks;
    this.outgoing = new ManagedChannel<ConfirmChannel>({
      connection: this.connection,
      confirm: true,
      name: `${side} ${endpoint} ${sends}`,
      clock,
      ...telemetry,
      setup: async (channel) => {
        this.publisher.attach(channel);
        if (side === 'runner') await this.declare();
        options.reopened?.();
      },
    });
    this.publisher = new ConfirmedPublisher({
      channel: this.outgoing,
      timeoutMs: this.settings.publishTimeoutMs,
      clock,
    });
    this.incoming = new ManagedChannel<Channel>({
      connection: this.connection,
      confirm: false,
      name: `${side} ${endpoint} ${takes}`,
      clock,
      ...telemetry,
      setup: (channel, generation) => this.consume(channel, generation),
      lost: (generation) => {
        this.consumerTag = undefined;
        options.lost?.(generation);
      },
    });
  }

  get state(): AmqpConnectionState {
    return this.connection.state;
  }

  /** Opens the connection and the outgoing channel. @throws SourceUnavailableError */
  async startOutgoing(signal?: AbortSignal): Promise<void> {
    await this.outgoing.start(signal);
  }

  /** Opens the incoming channel and starts consuming. @throws SourceUnavailableError */
  async startIncoming(signal?: AbortSignal): Promise<void> {
    await this.incoming.start(signal);
  }

  /** Publishes on the confirm channel: per message `undefined` (confirmed) or why not (see `ConfirmedPublisher`). */
  publish(messages: readonly OutgoingMessage[], signal?: AbortSignal): Promise<(Error | undefined)[]> {
    return this.publisher.publish(messages, signal);
  }

  /** Acks one delivery, unless its channel is gone (then the broker delivers it again). */
  ack(delivery: Delivery): void {
    this.settle(delivery, (channel, message) => channel.ack(message, false));
  }

  /** Acks, with one `multiple` ack, every delivery of `deliveries` that came on the open channel. */
  ackAll(deliveries: Iterable<Delivery>): void {
    const generation = this.incoming.generation;
    let tag = 0;
    for (const d of deliveries) if (d.generation === generation && d.tag > tag) tag = d.tag;
    if (tag > 0) this.settle({ generation, tag }, (channel, message) => channel.ack(message, true));
  }

  /** Rejects a delivery for good (not requeued), unless its channel is gone. */
  reject(delivery: Delivery): void {
    this.settle(delivery, (channel, message) => channel.reject(message, false));
  }

  /** Messages ready on the incoming queue, asked on the consuming channel; `undefined` when it cannot tell. */
  async waiting(): Promise<number | undefined> {
    const channel = this.incoming.channel;
    if (channel === undefined) return undefined;
    try {
      return (await channel.checkQueue(this.incomingQueue)).messageCount;
    } catch {
      return undefined;
    }
  }

  /** Cancels the consumer; the incoming channel, if it opens again, does not subscribe any more. */
  async stopConsuming(): Promise<void> {
    this.consuming = false;
    const channel = this.incoming.channel;
    const tag = this.consumerTag;
    this.consumerTag = undefined;
    if (channel !== undefined && tag !== undefined) await channel.cancel(tag).catch(() => undefined);
  }

  /** Closes the incoming channel, the outgoing one, then the connection. */
  async close(): Promise<void> {
    await this.incoming.close();
    await this.outgoing.close();
    await this.connection.close();
  }

  /** Without a connection the channel is gone too: what the setup does next fails and it opens again. */
  private async declare(): Promise<void> {
    const model = this.connection.channelModel;
    if (model !== undefined) await declareEndpoint(model, this.topology, this.settings);
  }

  private async consume(channel: Channel, generation: number): Promise<void> {
    this.consumerTag = undefined;
    if (this.options.side === 'worker') await this.declare();
    if (!this.consuming) return;
    await channel.prefetch(this.options.prefetch);
    const reply = await channel.consume(
      this.incomingQueue,
      (message) => {
        if (message === null) {
          // Cancelled by the broker (queue deleted): a new channel declares and consumes again.
          void closeQuietly(channel);
          return;
        }
        this.options.onMessage(message, { generation, tag: message.fields.deliveryTag });
      },
      { noAck: false },
    );
    this.consumerTag = reply.consumerTag;
  }

  private settle(delivery: Delivery, send: (channel: Channel, message: AmqpMessage) => void): void {
    const channel = this.incoming.channel;
    if (channel === undefined || delivery.generation !== this.incoming.generation) return;
    try {
      send(channel, { fields: { deliveryTag: delivery.tag } } as AmqpMessage);
    } catch {
      // The channel closed: the message comes again.
    }
  }
}
