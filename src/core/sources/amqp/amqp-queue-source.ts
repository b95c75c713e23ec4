import type { Channel, ConsumeMessage } from 'amqplib';
import { nextTurn } from '../../clock.js';
import { describeError, isAgentctlError } from '../../errors/agentctl-error.js';
import { SourceUnavailableError } from '../../errors/source-unavailable-error.js';
import { HEADERS_ATTRIBUTE, headersAttribute } from '../../model/message-headers.js';
import { queueSpec } from '../../transports/amqp/amqp-queue-options.js';
import { checkQueue, ensureQueue, replyCode } from '../../transports/amqp/amqp-topology.js';
import type { AttributeValue, Bytes, Message, Partition, Position, StartPosition } from '../../types.js';
import type { Fetch, PartitionStatus, Source } from '../source.js';
import { AckRanges } from './ack-ranges.js';
import {
  AmqpConsumer,
  type AmqpConsumerOptions,
  type AmqpDelivery,
  tagged,
  timestampOf,
} from './amqp-consumer.js';

export type AmqpQueueSourceOptions = AmqpConsumerOptions;

/**
 * How long a poll, woken by the ack of the last delivery held, waits for what the freed credit brings
 * before it asks the broker whether the queue is empty: a round trip to the broker and back, with room.
 */
export const SETTLED_GRACE_MS = 5;

/** `"<generation>:<deliveryTag>"` → its two numbers. */
function parsePosition(position: Position): [number, number] {
  const colon = position.indexOf(':');
  return [Number(position.slice(0, colon)), Number(position.slice(colon + 1))];
}

/**
 * A classic or quorum queue (`amqp://…?queue=NAME`). The queue is the one partition; the broker spreads
 * messages over every agent consuming it (`coordination: 'broker'`) and keeps the progress
 * (`checkpointing: 'broker'`), and nothing is stored. It settles each message (`settlement: 'each'`):
 * `settle` acknowledges every done delivery on its own, as soon as the processor has its records
 * durable — a delivery waiting out a retry holds no other — with one `multiple` ack for the oldest
 * unacked run of done tags and one ack per other done tag (see `AckRanges`). The queue has no order to
 * keep across redeliveries, so nothing is gained by holding acks back.
 *
 * - **In flight.** Manual acks with `prefetch` unacked deliveries at most: the bound of what this agent
 *   holds. Unacked messages go back to the queue when the channel or connection closes (a crash included).
 *   A `poll` hands out a quarter of the window at most (`handOut`), so that the first deliveries of a
 *   window are done, flushed and acked — and the broker sends more — while the rest are worked on: handed
 *   the whole window at once, the processor worked through all of it while the broker, out of credit,
 *   sent nothing, and then the broker's refill found it idle (the inbox was empty in 6 polls of 10).
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
export class AmqpQueueSource extends AmqpConsumer<AmqpDelivery, AmqpQueueSourceOptions> implements Source {
  readonly coordination = 'broker' as const;
  readonly checkpointing = 'broker' as const;
  readonly settlement = 'each' as const;
  /** Most unacked deliveries at once: a commit is needed at least this often for the consumer to go on. */
  readonly inFlightLimit: number;
  /** Most deliveries one `poll` hands out: a quarter of the prefetch window. */
  readonly handOut: number;
  private assigned = false;
  /** Delivery tags of the current generation not yet acked or nacked. */
  private readonly unacked = new AckRanges();
  private staleCommits = 0;
  private brokerCancels = 0;
  private maxDeliveryCount = 0;

  constructor(options: AmqpQueueSourceOptions) {
    super(options, 'source');
    this.inFlightLimit = options.settings.prefetch;
    this.handOut = Math.max(1, Math.ceil(options.settings.prefetch / 4));
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
    const channel = await this.cancelConsumer();
    const generation = this.channel.generation;
    for (const delivery of this.inbox.clear()) {
      if (channel === undefined || delivery.generation !== generation) continue;
      try {
        channel.nack(tagged(delivery.tag), false, true);
        this.unacked.forget(delivery.tag);
      } catch {
        // the channel is closing: the broker requeues it anyway
      }
    }
  }

  async poll(max: number, signal?: AbortSignal): Promise<Fetch> {
    // A turn of the event loop before taking: amqplib writes frames (our acks) from a setImmediate and
    // reads the socket in I/O callbacks, neither of which runs while the processor works through promise
    // continuations; without it the ack waits in a buffer and the broker, short of credit, waits too.
    const held = this.unacked.unacked > 0;
    await nextTurn();
    if (!this.assigned || this.paused || this.inbox.size === 0) {
      const idleMs = this.options.idleMs ?? 50;
      if (!this.assigned || this.paused) await this.clock.sleep(idleMs, signal).catch(() => undefined);
      else {
        if (!held || this.unacked.unacked > 0) await this.inbox.wait(idleMs, this.clock, signal);
        const caughtUp = held ? await this.settledHead(idleMs, signal) : undefined;
        if (caughtUp !== undefined) return { messages: [], ended: [], caughtUp };
      }
    }
    if (!this.assigned || this.paused) return { messages: [], ended: [], caughtUp: !this.assigned };
    const taken = this.inbox.take(Math.min(max, this.handOut));
    if (taken.length > 0) {
      const messages = new Array<Message<Bytes>>(taken.length);
      for (let i = 0; i < taken.length; i++) messages[i] = taken[i]!.message;
      return { messages, ended: [], caughtUp: false };
    }
    return { messages: [], ended: [], caughtUp: await this.atHead() };
  }

  /**
   * For a poll that began holding deliveries: once all of them are acked (`ack` wakes the wait) and the
   * inbox is empty, whether the queue is empty, asked after a short grace for what the freed credit
   * brings rather than after an idle wait (the tail of an `--until-empty` run was ≥ 50 ms of it); a
   * delivery still ends the wait (undefined). Without the grace the queue was asked 25–67 times a run of
   * 50,000 (each a temporary channel and a passive declare: the broker's CPU per event rose by ~1 µs);
   * with it, 3–7. Mid-run the freed credit usually brings deliveries before the answer, which is then
   * dropped: waiting on the answer alone stopped the loop for a round trip (up to 250 ms on a busy
   * quorum leader).
   */
  private async settledHead(idleMs: number, signal?: AbortSignal): Promise<boolean | undefined> {
    const settled = () => this.inbox.size === 0 && this.unacked.unacked === 0 && !signal?.aborted;
    if (!settled()) return undefined;
    const grace = Math.min(idleMs, SETTLED_GRACE_MS);
    await this.inbox.wait(grace, this.clock, signal);
    if (!settled()) return undefined;
    return this.inbox.waitOr(
      this.atHead().catch(() => false),
      idleMs - grace,
      this.clock,
      signal,
    );
  }

  /** Acks every unacked delivery up to the position, unless it belongs to an older channel generation. */
  async commit(positions: ReadonlyMap<Partition, Position>): Promise<void> {
    const position = positions.get(this.queue);
    if (position === undefined) return;
    const [generation, tag] = parsePosition(position);
    if (generation !== this.channel.generation) {
      this.staleCommits++;
      return;
    }
    this.ack(this.unacked.upTo(tag));
  }

  /** Acks each done delivery of the current channel generation; older ones are redelivered instead. */
  async settle(done: ReadonlyMap<Partition, readonly Position[]>): Promise<void> {
    const positions = done.get(this.queue);
    if (positions === undefined || positions.length === 0) return;
    const current = this.channel.generation;
    const prefix = `${current}:`;
    const tags: number[] = [];
    for (let i = 0; i < positions.length; i++) {
      const position = positions[i]!;
      if (position.startsWith(prefix)) tags.push(Number(position.slice(prefix.length)));
      else this.staleCommits++;
    }
    this.ack(tags);
  }

  private ack(tags: readonly number[]): void {
    if (tags.length === 0) return;
    const channel = this.channel.channel;
    if (channel === undefined) {
      // Its deliveries are requeued by the broker.
      this.staleCommits++;
      return;
    }
    for (const { tag, multiple } of this.unacked.settle(tags)) {
      if (!this.ackQuietly(channel, tag, multiple)) {
        this.staleCommits++;
        return;
      }
    }
    // Nothing held any more: a poll waiting on the empty inbox looks again (see `poll`).
    if (this.unacked.unacked === 0 && this.inbox.size === 0) this.inbox.wake();
  }

  async describe(): Promise<PartitionStatus[]> {
    const depth = await checkQueue(this.connection.channelModel, this.queue);
    const unacked = this.unacked.unacked;
    const detail = {
      type: this.options.type,
      ...this.connectionDetail(),
      staleCommitsSkipped: this.staleCommits,
      brokerCancels: this.brokerCancels,
      maxAttempts: this.maxDeliveryCount,
    };
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

  protected stopReading(): void {
    this.assigned = false;
  }

  /** On every channel open, nothing is outstanding any more; then the shared setup. */
  protected override async setup(channel: Channel, generation: number): Promise<void> {
    this.unacked.reset();
    await super.setup(channel, generation);
  }

  protected async subscribeIfReading(channel: Channel, generation: number): Promise<void> {
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
    const headers = headersAttribute(message.properties.headers);
    if (headers !== undefined) attributes[HEADERS_ATTRIBUTE] = headers;
    this.unacked.delivered(tag);
    this.inbox.push({
      generation,
      tag,
      message: {
        partition: this.queue,
        position: `${generation}:${tag}`,
        payload: message.content,
        raw: message.content,
        timestamp: timestampOf(message, this.clock),
        attributes,
      },
    });
  }

  /** The broker cancelled our consumer (queue deleted or moved): subscribe again on the same channel. */
  private cancelledByBroker(channel: Channel, generation: number): void {
    this.brokerCancels++;
    this.resubscribeLater(
      channel,
      this.queue,
      () => this.assigned,
      async () => {
        const model = this.connection.channelModel;
        if (model !== undefined) await ensureQueue(model, queueSpec(this.options));
        await this.subscribe(channel, generation);
      },
    );
  }

  /** The channel of `generation` is gone: what it delivered and we did not hand out comes again. */
  protected lost(generation: number): void {
    this.inbox.remove((d) => d.generation <= generation);
    if (generation === this.channel.generation) {
      this.unacked.reset();
      this.consumerTag = undefined;
    }
  }

  /** True when connected, consuming, and the broker says (credibly) it holds no ready message. */
  private async atHead(): Promise<boolean> {
    if (this.consumerTag === undefined || this.channel.channel === undefined) return false;
    // Everything delivered is acked: a delivery still on the wire cannot hide behind a ready count of 0.
    if (this.unacked.unacked > 0) return false;
    const depth = await checkQueue(this.connection.channelModel, this.queue);
    // Our consumer is subscribed, so a true answer counts at least one consumer. A quorum queue whose
    // leader does not answer its depth query within 250 ms (busy) reports 0 ready and 0 consumers
    // instead of an error: under load `--until-empty` stopped with most of the queue still ready.
    return depth !== undefined && depth.ready === 0 && depth.consumers > 0 && this.inbox.size === 0;
  }

  protected unavailable(error: unknown): unknown {
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
