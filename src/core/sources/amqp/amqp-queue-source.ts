import type { Message as AmqpMessage, Channel, ConsumeMessage } from 'amqplib';
import { type Clock, systemClock } from '../../clock.js';
import { describeError, isAgentctlError } from '../../errors/agentctl-error.js';
import { SourceUnavailableError } from '../../errors/source-unavailable-error.js';
import type { Telemetry } from '../../telemetry/telemetry.js';
import type { AttributeValue, Bytes, Message, Partition, Position, StartPosition } from '../../types.js';
import type { Fetch, PartitionInfo, PartitionStatus, Source } from '../source.js';
import { ManagedChannel } from './amqp-channel.js';
import { AmqpConnection } from './amqp-connection.js';
import { type AmqpSourceOptions, amqpSourceId, queueSpec } from './amqp-source-options.js';
import { checkQueue, ensureQueue, replyCode } from './amqp-topology.js';
import { closeQuietly } from './close-quietly.js';
import { DeliveryInbox } from './delivery-inbox.js';

export interface AmqpQueueSourceOptions extends AmqpSourceOptions {
  /** The URI as given (for display, redacted). */
  readonly uri: string;
  readonly clock?: Clock;
  readonly telemetry?: Telemetry;
  /** Longest wait of an idle `poll` (default 50 ms). */
  readonly idleMs?: number;
}

interface Delivery {
  readonly message: Message<Bytes>;
  readonly generation: number;
  readonly tag: number;
}

/** `"<generation>:<deliveryTag>"` → its two numbers. */
function parsePosition(position: Position): [number, number] {
  const colon = position.indexOf(':');
  return [Number(position.slice(0, colon)), Number(position.slice(colon + 1))];
}

/** A publisher's `timestamp` property: seconds by the AMQP spec, milliseconds by habit; else now. */
function timestampOf(message: ConsumeMessage, now: number): number {
  const ts = message.properties.timestamp as unknown;
  if (typeof ts !== 'number' || !Number.isFinite(ts) || ts <= 0) return now;
  return ts < 100_000_000_000 ? ts * 1000 : ts;
}

/**
 * A classic or quorum queue (`amqp://…?queue=NAME`). The queue is the one partition; the broker spreads
 * messages over every agent consuming it (`coordination: 'broker'`) and keeps the progress
 * (`checkpointing: 'broker'`): `commit` acknowledges — one `basic.ack` with `multiple` — up to the
 * contiguous done watermark, and nothing is stored.
 *
 * - **In flight.** Manual acks with `prefetch` unacked deliveries at most: the bound of what this agent
 *   holds. Unacked messages go back to the queue when the channel or connection closes (a crash included).
 * - **Positions** are `"<generation>:<deliveryTag>"`. The generation increments on every channel open
 *   (reconnect); a commit of an older generation is skipped — acking its tag on the new channel would be
 *   a 406 that closes it — and those messages are redelivered instead.
 * - **Recovery.** A lost connection is reopened with backoff; then the queue is re-declared and consumed
 *   again. A `basic.cancel` from the broker (queue deleted, leader moved) re-subscribes.
 * - **Attempts.** `attributes.deliveryCount` is the delivery attempt: quorum queues' `x-delivery-count` + 1,
 *   else 2 for a redelivery and 1 otherwise.
 * - `pause` stops handing out deliveries (the broker stops at `prefetch`); `revoke` cancels the consumer
 *   and returns what was not handed out (`basic.nack` with requeue).
 */
export class AmqpQueueSource implements Source {
  readonly id: string;
  readonly uri: string;
  readonly coordination = 'broker' as const;
  readonly checkpointing = 'broker' as const;
  readonly queue: string;
  /** Most unacked deliveries at once: a commit is needed at least this often for the consumer to go on. */
  readonly inFlightLimit: number;
  private readonly connection: AmqpConnection;
  private readonly channel: ManagedChannel<Channel>;
  private readonly inbox = new DeliveryInbox<Delivery>();
  private readonly clock: Clock;
  private assigned = false;
  private paused = false;
  private consumerTag: string | undefined;
  /** Delivery tags of the current generation not yet acked or nacked, in order. */
  private outstanding: number[] = [];
  private outstandingHead = 0;
  private ackedUpTo = 0;
  private staleCommits = 0;
  private brokerCancels = 0;
  private maxDeliveryCount = 0;
  private closed = false;

  constructor(private readonly options: AmqpQueueSourceOptions) {
    this.clock = options.clock ?? systemClock;
    this.queue = options.queue;
    this.id = amqpSourceId(options.server, options.queue);
    this.uri = options.server.display;
    this.inFlightLimit = options.settings.prefetch;
    this.connection = new AmqpConnection({
      server: options.server,
      settings: options.settings,
      name: `agentctl source ${options.queue}`,
      clock: this.clock,
      ...(options.telemetry ? { telemetry: options.telemetry } : {}),
    });
    this.channel = new ManagedChannel<Channel>({
      connection: this.connection,
      confirm: false,
      name: `source ${options.queue}`,
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

  async partitions(): Promise<PartitionInfo[]> {
    return [{ id: this.queue }];
  }

  /** Starts consuming. Start positions mean nothing to a queue: it hands out what it holds. */
  async assign(starts: ReadonlyMap<Partition, StartPosition>): Promise<void> {
    if (!starts.has(this.queue) || this.assigned) return;
    this.assigned = true;
    const channel = this.channel.channel;
    if (channel === undefined) return;
    try {
      await this.subscribe(channel, this.channel.generation);
    } catch (error) {
      this.assigned = false;
      throw this.unavailable(error);
    }
  }

  async revoke(partitions: readonly Partition[]): Promise<void> {
    if (!partitions.includes(this.queue) || !this.assigned) return;
    this.assigned = false;
    const channel = this.channel.channel;
    const tag = this.consumerTag;
    this.consumerTag = undefined;
    if (channel !== undefined && tag !== undefined) await channel.cancel(tag).catch(() => undefined);
    const generation = this.channel.generation;
    for (const delivery of this.inbox.clear()) {
      if (channel === undefined || delivery.generation !== generation) continue;
      try {
        channel.nack(tagged(delivery.tag), false, true);
        this.forget(delivery.tag);
      } catch {
        // the channel is closing: the broker requeues it anyway
      }
    }
  }

  async poll(max: number, signal?: AbortSignal): Promise<Fetch> {
    // A turn of the event loop before taking: amqplib writes frames (our acks) from a setImmediate and
    // reads the socket in I/O callbacks, neither of which runs while the processor works through promise
    // continuations; without it the ack waits in a buffer and the broker, short of credit, waits too.
    await yieldToIo();
    if (!this.assigned || this.paused || this.inbox.size === 0) {
      if (this.assigned && !this.paused) await this.inbox.wait(this.options.idleMs ?? 50, this.clock, signal);
      else await this.clock.sleep(this.options.idleMs ?? 50, signal).catch(() => undefined);
    }
    if (!this.assigned || this.paused) return { messages: [], ended: [], caughtUp: !this.assigned };
    const taken = this.inbox.take(max);
    if (taken.length > 0) {
      const messages = new Array<Message<Bytes>>(taken.length);
      for (let i = 0; i < taken.length; i++) messages[i] = taken[i]!.message;
      return { messages, ended: [], caughtUp: false };
    }
    return { messages: [], ended: [], caughtUp: await this.atHead() };
  }

  /** Acks (multiple) up to the position, unless it belongs to an older channel generation. */
  async commit(positions: ReadonlyMap<Partition, Position>): Promise<void> {
    const position = positions.get(this.queue);
    if (position === undefined) return;
    const [generation, tag] = parsePosition(position);
    const channel = this.channel.channel;
    if (channel === undefined || generation !== this.channel.generation) {
      this.staleCommits++;
      return;
    }
    if (tag <= this.ackedUpTo) return;
    try {
      channel.ack(tagged(tag), true);
    } catch {
      // The channel closed under us: its deliveries are requeued by the broker.
      this.staleCommits++;
      return;
    }
    this.ackedUpTo = tag;
    const outstanding = this.outstanding;
    let head = this.outstandingHead;
    while (head < outstanding.length && outstanding[head]! <= tag) head++;
    if (head === outstanding.length) {
      this.outstanding = [];
      this.outstandingHead = 0;
    } else {
      this.outstandingHead = head;
    }
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

  async describe(): Promise<PartitionStatus[]> {
    const depth = await checkQueue(this.connection.channelModel, this.queue);
    const unacked = this.outstanding.length - this.outstandingHead;
    const connection = this.connection.status();
    const detail: Record<string, string | number | boolean> = {
      type: this.options.type,
      connection: connection.state,
      blocked: connection.blocked,
      reconnects: connection.reconnects,
      generation: this.channel.generation,
      prefetch: this.inFlightLimit,
      staleCommitsSkipped: this.staleCommits,
      brokerCancels: this.brokerCancels,
      maxAttempts: this.maxDeliveryCount,
    };
    if (connection.blockedReason !== undefined) detail.blockedReason = connection.blockedReason;
    if (connection.lastError !== undefined) detail.lastError = connection.lastError;
    if (this.channel.error !== undefined) detail.channelError = this.channel.error;
    return [
      {
        partition: this.queue,
        state: this.assigned ? (this.paused ? 'paused' : 'reading') : 'unassigned',
        ...(depth === undefined
          ? {}
          : {
              depth: { ready: depth.ready, unacked, consumers: depth.consumers },
              lagRecords: depth.ready + unacked,
            }),
        detail,
      },
    ];
  }

  compare(a: Position, b: Position): number {
    const [ga, ta] = parsePosition(a);
    const [gb, tb] = parsePosition(b);
    return ga === gb ? ta - tb : ga - gb;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.assigned = false;
    this.inbox.clear();
    this.inbox.wake();
    await this.channel.close();
    await this.connection.close();
  }

  /** On every channel open: re-declare, set the prefetch, consume again if assigned. */
  private async setup(channel: Channel, generation: number): Promise<void> {
    this.outstanding = [];
    this.outstandingHead = 0;
    this.ackedUpTo = 0;
    this.consumerTag = undefined;
    const model = this.connection.channelModel;
    if (model === undefined) throw new Error('connection lost while opening the channel');
    await ensureQueue(model, queueSpec(this.options));
    await channel.prefetch(this.options.settings.prefetch);
    if (this.assigned) await this.subscribe(channel, generation);
  }

  private async subscribe(channel: Channel, generation: number): Promise<void> {
    const reply = await channel.consume(
      this.queue,
      (message) => {
        if (message === null) this.cancelledByBroker(channel, generation);
        else this.deliver(message, generation);
      },
      { noAck: false, exclusive: this.options.settings.exclusive },
    );
    this.consumerTag = reply.consumerTag;
  }

  private deliver(message: ConsumeMessage, generation: number): void {
    if (generation !== this.channel.generation || this.closed) return;
    const tag = message.fields.deliveryTag;
    const header = message.properties.headers?.['x-delivery-count'] as unknown;
    const deliveryCount = typeof header === 'number' ? header + 1 : message.fields.redelivered ? 2 : 1;
    if (deliveryCount > this.maxDeliveryCount) this.maxDeliveryCount = deliveryCount;
    const attributes: Record<string, AttributeValue> = {
      routingKey: message.fields.routingKey,
      deliveryCount,
    };
    if (message.fields.redelivered) attributes.redelivered = true;
    const messageId = message.properties.messageId as unknown;
    if (typeof messageId === 'string') attributes.messageId = messageId;
    this.outstanding.push(tag);
    this.inbox.push({
      generation,
      tag,
      message: {
        partition: this.queue,
        position: `${generation}:${tag}`,
        payload: message.content,
        raw: message.content,
        timestamp: timestampOf(message, this.clock.now()),
        attributes,
      },
    });
  }

  /** The broker cancelled our consumer (queue deleted or moved): subscribe again on the same channel. */
  private cancelledByBroker(channel: Channel, generation: number): void {
    this.brokerCancels++;
    this.consumerTag = undefined;
    this.options.telemetry?.emit('warning', {
      message: `the broker cancelled the consumer of ${this.queue}; re-subscribing`,
    });
    void this.clock
      .sleep(200)
      .then(async () => {
        if (!this.assigned || this.closed || this.channel.channel !== channel) return;
        const model = this.connection.channelModel;
        if (model !== undefined) await ensureQueue(model, queueSpec(this.options));
        await this.subscribe(channel, generation);
      })
      .catch(async () => {
        // The queue is gone for now: reopen the channel, whose setup declares and consumes again.
        await closeQuietly(channel);
      });
  }

  /** The channel of `generation` is gone: what it delivered and we did not hand out comes again. */
  private lost(generation: number): void {
    this.inbox.remove((d) => d.generation <= generation);
    if (generation === this.channel.generation) {
      this.outstanding = [];
      this.outstandingHead = 0;
      this.consumerTag = undefined;
    }
  }

  private forget(tag: number): void {
    const i = this.outstanding.indexOf(tag, this.outstandingHead);
    if (i >= 0) this.outstanding.splice(i, 1);
  }

  /** True when connected, consuming, and the broker holds no ready message. */
  private async atHead(): Promise<boolean> {
    if (this.consumerTag === undefined || this.channel.channel === undefined) return false;
    // Everything delivered is acked: a delivery still on the wire cannot hide behind a ready count of 0.
    if (this.outstanding.length > this.outstandingHead) return false;
    const depth = await checkQueue(this.connection.channelModel, this.queue);
    return depth !== undefined && depth.ready === 0 && this.inbox.size === 0;
  }

  private unavailable(error: unknown): unknown {
    if (isAgentctlError(error)) return error;
    const code = replyCode(error);
    const hint =
      code === 403
        ? `another consumer holds queue "${this.queue}" exclusively, or the user may not read it`
        : `check the queue "${this.queue}" and the user's permissions on vhost ${this.options.server.vhost}`;
    return new SourceUnavailableError(`cannot consume ${this.uri}: ${describeError(error)}`, {
      cause: error,
      hint,
    });
  }
}

/** One turn of the event loop, so that amqplib's scheduled writes (acks) reach the socket. */
function yieldToIo(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** What `ack`/`nack` need of a message: its delivery tag. */
function tagged(deliveryTag: number): AmqpMessage {
  return { fields: { deliveryTag } } as AmqpMessage;
}
