import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import type { Clock } from '../../clock.js';
import { describeError, isAgentctlError } from '../../errors/agentctl-error.js';
import { SourceUnavailableError } from '../../errors/source-unavailable-error.js';
import type { StateStore } from '../../store/state-store.js';
import { checkQueue } from '../../transports/amqp/amqp-topology.js';
import { closeQuietly } from '../../transports/amqp/close-quietly.js';
import type { AttributeValue, Bytes, Message, Partition, Position, StartPosition } from '../../types.js';
import type { Fetch, PartitionStatus, Source } from '../source.js';
import { AmqpConsumer, type AmqpConsumerOptions, type AmqpDelivery, timestampOf } from './amqp-consumer.js';

export interface AmqpStreamSourceOptions extends AmqpConsumerOptions {
  /** Where `describe` reads the committed offset (the processor writes it). */
  readonly store?: StateStore;
  readonly group?: string;
}

interface Delivery extends AmqpDelivery {
  readonly offset: number;
}

/** The value of the `x-stream-offset` consumer argument. */
type StreamOffset = number | 'first' | 'next' | { readonly '!': 'timestamp'; readonly value: number };

function offsetArgument(start: StartPosition): StreamOffset {
  switch (start.kind) {
    case 'earliest':
      return 'first';
    case 'latest':
      return 'next';
    case 'after':
      return Number(start.position) + 1;
    case 'at':
      return Number(start.position);
    case 'timestamp':
      return { '!': 'timestamp', value: Math.floor(start.ms / 1000) };
  }
}

/** How long the `latest` probe result is reused. */
const LATEST_TTL_MS = 1_000;

/**
 * A stream queue (`amqp://…?queue=NAME&type=stream`), read by offset. RabbitMQ keeps no offsets for AMQP
 * 0-9-1 consumers, so progress is ours: `checkpointing: 'store'` (the processor writes the offset to the
 * state store and the next start reads from there through `x-stream-offset`), and one agent per stream
 * through leases (`coordination: 'leases'`) — a stream gives every consumer every message.
 *
 * - **Positions** are offsets, delivered strictly increasing: the broker starts at the beginning of the
 *   chunk holding the requested offset, so deliveries below it (and any repeat) are dropped. After a
 *   reconnect the consumer resumes right after the last offset handed out, so the watermark, and with it
 *   the stored checkpoint, never moves back.
 * - **Acks** only give the broker credit (prefetch); they are sent as messages are handed out.
 * - `describe` reports the committed offset (from the store), the latest offset (a short probe of the
 *   stream's last chunk, at least the last offset seen) and the lag between them.
 */
export class AmqpStreamSource extends AmqpConsumer<Delivery, AmqpStreamSourceOptions> implements Source {
  readonly coordination = 'leases' as const;
  readonly checkpointing = 'store' as const;
  private start: StartPosition | undefined;
  /** Deliveries below this offset are dropped (the chunk prefix of a start by offset). */
  private floor = 0;
  /** Highest offset queued in the inbox (repeats are dropped). */
  private queued = -1;
  /** Highest offset handed out by `poll`. */
  private handed = -1;
  private latestProbe: { readonly at: number; readonly offset: number | undefined } | undefined;

  constructor(options: AmqpStreamSourceOptions) {
    super(options, 'stream');
  }

  async assign(starts: ReadonlyMap<Partition, StartPosition>): Promise<void> {
    const start = starts.get(this.queue);
    if (start === undefined) return;
    if (this.start !== undefined) await this.revoke([this.queue]);
    this.start = start;
    this.handed = -1;
    this.queued = -1;
    this.floor = start.kind === 'after' || start.kind === 'at' ? (offsetArgument(start) as number) : 0;
    const channel = this.channel.channel;
    if (channel === undefined) return;
    try {
      await this.subscribe(channel, this.channel.generation);
    } catch (error) {
      this.start = undefined;
      throw this.unavailable(error);
    }
  }

  async revoke(partitions: readonly Partition[]): Promise<void> {
    if (!partitions.includes(this.queue) || this.start === undefined) return;
    this.start = undefined;
    const channel = await this.cancelConsumer();
    const last = this.inbox.clear().at(-1);
    if (channel !== undefined && last !== undefined && last.generation === this.channel.generation) {
      this.ackQuietly(channel, last.tag, true);
    }
  }

  async poll(max: number, signal?: AbortSignal): Promise<Fetch> {
    const reading = this.start !== undefined && !this.paused;
    if (!reading || this.inbox.size === 0) {
      if (reading) await this.inbox.wait(this.options.idleMs ?? 50, this.clock, signal);
      else await this.clock.sleep(this.options.idleMs ?? 50, signal).catch(() => undefined);
    }
    if (this.start === undefined || this.paused)
      return { messages: [], ended: [], caughtUp: this.start === undefined };
    const taken = this.inbox.take(max);
    if (taken.length === 0) return { messages: [], ended: [], caughtUp: await this.atHead() };
    const messages = new Array<Message<Bytes>>(taken.length);
    for (let i = 0; i < taken.length; i++) messages[i] = taken[i]!.message;
    const last = taken[taken.length - 1]!;
    this.handed = last.offset;
    const channel = this.channel.channel;
    // If the channel closed, it is reopened and resumes after `handed`.
    if (channel !== undefined && last.generation === this.channel.generation) {
      this.ackQuietly(channel, last.tag, true);
    }
    return { messages, ended: [], caughtUp: false };
  }

  /** Offsets are checkpointed by the processor in the store: nothing to do at the broker. */
  async commit(): Promise<void> {}

  async describe(): Promise<PartitionStatus[]> {
    const { store, group } = this.options;
    const checkpoint =
      store === undefined || group === undefined
        ? undefined
        : (await store.checkpoints.get(group, this.id, [this.queue]).catch(() => undefined))?.get(this.queue);
    const latest = await this.latest();
    const depth = await checkQueue(this.connection.channelModel, this.queue);
    const committed = checkpoint?.position;
    const done = committed === undefined ? -1 : Number(committed);
    const lag = latest === undefined ? undefined : Math.max(0, latest - done);
    const detail: Record<string, string | number | boolean> = { type: 'stream', ...this.connectionDetail() };
    if (this.handed >= 0) detail.handedOut = this.handed;
    return [
      {
        partition: this.queue,
        state: this.start === undefined ? 'unassigned' : this.paused ? 'paused' : 'reading',
        ...(committed === undefined ? {} : { committed }),
        ...(latest === undefined ? {} : { latest: String(latest) }),
        ...(lag === undefined ? {} : { lagRecords: lag }),
        ...(depth === undefined
          ? {}
          : { depth: { ready: lag ?? 0, unacked: this.inbox.size, consumers: depth.consumers } }),
        detail,
      },
    ];
  }

  compare(a: Position, b: Position): number {
    return Number(a) - Number(b);
  }

  protected stopReading(): void {
    this.start = undefined;
  }

  protected async subscribeIfReading(channel: Channel, generation: number): Promise<void> {
    if (this.start !== undefined) await this.subscribe(channel, generation);
  }

  protected lost(generation: number): void {
    this.inbox.remove((d) => d.generation <= generation);
    this.queued = this.handed;
    this.consumerTag = undefined;
  }

  /** Consumes from the start position, or right after the last offset handed out (a resubscription). */
  private async subscribe(channel: Channel, generation: number): Promise<void> {
    const start = this.start;
    if (start === undefined) return;
    let offset: StreamOffset;
    if (this.handed >= 0) {
      offset = this.handed + 1;
      this.floor = offset;
    } else {
      offset = offsetArgument(start);
    }
    this.queued = this.handed;
    const reply = await channel.consume(
      this.queue,
      (message) => {
        if (message === null) this.cancelledByBroker(channel, generation);
        else this.deliver(channel, message, generation);
      },
      { noAck: false, arguments: { 'x-stream-offset': offset } },
    );
    this.consumerTag = reply.consumerTag;
  }

  private deliver(channel: Channel, message: ConsumeMessage, generation: number): void {
    if (generation !== this.channel.generation || this.closed || this.start === undefined) return;
    const offset = Number(message.properties.headers?.['x-stream-offset']);
    if (!Number.isFinite(offset) || offset < this.floor || offset <= this.queued) {
      this.ackQuietly(channel, message.fields.deliveryTag, false);
      return;
    }
    this.queued = offset;
    const attributes: Record<string, AttributeValue> = { routingKey: message.fields.routingKey, offset };
    this.inbox.push({
      offset,
      generation,
      tag: message.fields.deliveryTag,
      message: {
        partition: this.queue,
        position: String(offset),
        payload: message.content,
        raw: message.content,
        timestamp: timestampOf(message, this.clock),
        attributes,
      },
    });
  }

  private cancelledByBroker(channel: Channel, generation: number): void {
    this.inbox.clear();
    this.resubscribeLater(
      channel,
      `stream ${this.queue}`,
      () => this.start !== undefined,
      () => this.subscribe(channel, generation),
    );
  }

  /** Caught up: consuming, nothing buffered, and at or past the latest offset known. */
  private async atHead(): Promise<boolean> {
    if (this.consumerTag === undefined || this.inbox.size > 0) return false;
    const latest = await this.latest();
    // Deliveries that came while the tail was probed: not at the head, whatever the probe saw.
    if (this.inbox.size > 0) return false;
    return latest === undefined || this.handed >= latest;
  }

  /**
   * The last offset of the stream as far as can be told: the largest offset delivered by a short consumer
   * started at `last` (the beginning of the last chunk), and at least the last offset queued here.
   */
  private async latest(): Promise<number | undefined> {
    const now = this.clock.now();
    if (this.latestProbe === undefined || now - this.latestProbe.at >= LATEST_TTL_MS) {
      const probed = await probeLast(this.connection.channelModel, this.queue, this.clock).catch(
        () => undefined,
      );
      this.latestProbe = { at: now, offset: probed };
    }
    const probed = this.latestProbe.offset;
    const seen = this.queued >= 0 ? this.queued : undefined;
    if (probed === undefined) return seen;
    return seen === undefined ? probed : Math.max(probed, seen);
  }

  protected unavailable(error: unknown): unknown {
    if (isAgentctlError(error)) return error;
    return new SourceUnavailableError(`cannot read stream ${this.uri}: ${describeError(error)}`, {
      cause: error,
      hint: `check that "${this.queue}" is a stream queue (x-queue-type: stream) and the user may read it`,
    });
  }
}

/** Reads the last chunk of a stream on a throwaway channel; the largest offset it delivers. */
async function probeLast(
  model: ChannelModel | undefined,
  queue: string,
  clock: Clock,
): Promise<number | undefined> {
  if (model === undefined) return undefined;
  const channel = await model.createChannel();
  channel.on('error', () => undefined);
  let max: number | undefined;
  let lastAt = clock.now();
  try {
    await channel.prefetch(5_000);
    await channel.consume(
      queue,
      (message) => {
        if (message === null) return;
        const offset = Number(message.properties.headers?.['x-stream-offset']);
        if (Number.isFinite(offset) && (max === undefined || offset > max)) max = offset;
        lastAt = clock.now();
      },
      { noAck: false, arguments: { 'x-stream-offset': 'last' } },
    );
    const started = clock.now();
    // Until deliveries stop for 30 ms, at most 300 ms. No delivery at all says the stream is empty only
    // once the whole 300 ms have passed: a busy broker can take longer than 50 ms to start delivering
    // the last chunk, and an early "empty" made `--until-empty` stop before reading what was there (a
    // resumed stream read nothing under CI load).
    for (;;) {
      await clock.sleep(10);
      const now = clock.now();
      if (now - started > 300) break;
      if (max !== undefined && now - lastAt > 30) break;
    }
    return max;
  } finally {
    await closeQuietly(channel);
  }
}
