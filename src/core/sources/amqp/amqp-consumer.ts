import type { Message as AmqpMessage, Channel, ConsumeMessage } from 'amqplib';
import { type Clock, systemClock } from '../../clock.js';
import type { Telemetry } from '../../telemetry/telemetry.js';
import { ManagedChannel } from '../../transports/amqp/amqp-channel.js';
import { AmqpConnection } from '../../transports/amqp/amqp-connection.js';
import { type AmqpSourceOptions, amqpSourceId, queueSpec } from '../../transports/amqp/amqp-queue-options.js';
import { ensureQueue } from '../../transports/amqp/amqp-topology.js';
import { closeQuietly } from '../../transports/amqp/close-quietly.js';
import type { Bytes, Message, Partition } from '../../types.js';
import type { PartitionInfo, SourceConnectivity } from '../source.js';
import { DeliveryInbox } from './delivery-inbox.js';

export interface AmqpConsumerOptions extends AmqpSourceOptions {
  readonly clock?: Clock;
  readonly telemetry?: Telemetry;
  /** Longest wait of an idle `poll` (default 50 ms). */
  readonly idleMs?: number;
}

/** A delivery waiting in the inbox: the message, and the channel generation and tag to ack it with. */
export interface AmqpDelivery {
  readonly message: Message<Bytes>;
  readonly generation: number;
  readonly tag: number;
}

/**
 * What the queue and stream sources share: one queue as the one partition, a connection and a managed
 * channel that reopens (calling `setup`) after a loss (calling `lost`), an inbox of deliveries, pause
 * and resume, the connection's part of `describe`, re-subscribing after a broker `basic.cancel`, and
 * closing. Each subclass decides how it consumes, acks and reports positions.
 */
export abstract class AmqpConsumer<D extends AmqpDelivery, O extends AmqpConsumerOptions> {
  readonly id: string;
  readonly uri: string;
  readonly queue: string;
  protected readonly connection: AmqpConnection;
  protected readonly channel: ManagedChannel<Channel>;
  protected readonly inbox = new DeliveryInbox<D>();
  protected readonly clock: Clock;
  protected paused = false;
  protected consumerTag: string | undefined;
  protected closed = false;

  /** @param role names the connection and channel (`source`, `stream`) in the broker and in logs. */
  constructor(
    protected readonly options: O,
    role: string,
  ) {
    this.clock = options.clock ?? systemClock;
    this.queue = options.queue;
    this.id = amqpSourceId(options.server, options.queue);
    this.uri = options.server.display;
    this.connection = new AmqpConnection({
      server: options.server,
      settings: options.settings,
      name: `agentctl ${role} ${options.queue}`,
      clock: this.clock,
      ...(options.telemetry ? { telemetry: options.telemetry } : {}),
    });
    this.channel = new ManagedChannel<Channel>({
      connection: this.connection,
      confirm: false,
      name: `${role} ${options.queue}`,
      clock: this.clock,
      ...(options.telemetry ? { telemetry: options.telemetry } : {}),
      setup: (channel, generation) => this.setup(channel, generation),
      lost: (generation) => this.lost(generation),
    });
  }

  async connect(signal?: AbortSignal): Promise<void> {
    try {
      await this.channel.start(signal);
    } catch (error) {
      throw this.unavailable(error);
    }
  }

  /**
   * Connected while the connection is open and the channel is up; after the first connection, a lost
   * one is reopened in the background (with backoff) and `poll` just waits meanwhile.
   */
  connectivity(): SourceConnectivity {
    const connection = this.connection.status();
    if (connection.state === 'open' && this.channel.channel !== undefined) return { connected: true };
    const error = connection.state === 'open' ? this.channel.error : connection.lastError;
    return { connected: false, ...(error === undefined ? {} : { error }) };
  }

  async partitions(): Promise<PartitionInfo[]> {
    return [{ id: this.queue }];
  }

  pause(partitions: readonly Partition[]): void {
    if (partitions.includes(this.queue)) this.paused = true;
  }

  resume(partitions: readonly Partition[]): void {
    if (partitions.includes(this.queue)) {
      this.paused = false;
      this.inbox.wake();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopReading();
    this.inbox.clear();
    this.inbox.wake();
    await this.channel.close();
    await this.connection.close();
  }

  /** Forgets the assignment (on close): nothing is read or handed out any more. */
  protected abstract stopReading(): void;
  /** On every channel open, after the queue is declared and the prefetch set: consume again if reading. */
  protected abstract subscribeIfReading(channel: Channel, generation: number): Promise<void>;
  /** The channel of `generation` is gone: drop what it delivered and was not handed out. */
  protected abstract lost(generation: number): void;
  /** The error to throw when the queue cannot be consumed. */
  protected abstract unavailable(error: unknown): unknown;

  /** On every channel open: re-declare the queue, set the prefetch, consume again if reading. */
  protected async setup(channel: Channel, generation: number): Promise<void> {
    this.consumerTag = undefined;
    const model = this.connection.channelModel;
    if (model === undefined) throw new Error('connection lost while opening the channel');
    await ensureQueue(model, queueSpec(this.options));
    await channel.prefetch(this.options.settings.prefetch);
    await this.subscribeIfReading(channel, generation);
  }

  /** Cancels our consumer, if there is one on an open channel; returns that channel. */
  protected async cancelConsumer(): Promise<Channel | undefined> {
    const channel = this.channel.channel;
    const tag = this.consumerTag;
    this.consumerTag = undefined;
    if (channel !== undefined && tag !== undefined) await channel.cancel(tag).catch(() => undefined);
    return channel;
  }

  /**
   * The broker cancelled our consumer (queue deleted or moved): after a short pause, `resubscribe` on the
   * same channel while `reading()` holds; if that fails the channel is closed, and its reopening declares
   * and consumes again.
   */
  protected resubscribeLater(
    channel: Channel,
    what: string,
    reading: () => boolean,
    resubscribe: () => Promise<void>,
  ): void {
    this.consumerTag = undefined;
    this.options.telemetry?.emit('warning', {
      message: `the broker cancelled the consumer of ${what}; re-subscribing`,
    });
    void this.clock
      .sleep(200)
      .then(async () => {
        if (!reading() || this.closed || this.channel.channel !== channel) return;
        await resubscribe();
      })
      .catch(async () => {
        await closeQuietly(channel);
      });
  }

  /** Acks the delivery `tag` (and, with `multiple`, all before it) on `channel`; false if it closed. */
  protected ackQuietly(channel: Channel, tag: number, multiple: boolean): boolean {
    try {
      channel.ack(tagged(tag), multiple);
      return true;
    } catch {
      // The channel closed under us: the broker requeues or forgets what it held.
      return false;
    }
  }

  /** The connection's and channel's part of a partition's `describe` detail. */
  protected connectionDetail(): Record<string, string | number | boolean> {
    const connection = this.connection.status();
    const detail: Record<string, string | number | boolean> = {
      connection: connection.state,
      blocked: connection.blocked,
      reconnects: connection.reconnects,
      generation: this.channel.generation,
      prefetch: this.options.settings.prefetch,
    };
    if (connection.blockedReason !== undefined) detail.blockedReason = connection.blockedReason;
    if (connection.lastError !== undefined) detail.lastError = connection.lastError;
    if (this.channel.error !== undefined) detail.channelError = this.channel.error;
    return detail;
  }
}

/** What `ack`/`nack` need of a message: its delivery tag. */
export function tagged(deliveryTag: number): AmqpMessage {
  return { fields: { deliveryTag } } as AmqpMessage;
}

/**
 * A publisher's `timestamp` property: seconds by the AMQP spec, milliseconds by habit; else the clock's
 * now (read only then: this runs once per delivery).
 */
export function timestampOf(message: ConsumeMessage, clock: Clock): number {
  const ts = message.properties.timestamp as unknown;
  if (typeof ts !== 'number' || !Number.isFinite(ts) || ts <= 0) return clock.now();
  return ts < 100_000_000_000 ? ts * 1000 : ts;
}
