import amqplib, { type Channel, type ChannelModel, type GetMessage } from 'amqplib';
import { describeError } from '../../errors/agentctl-error.js';
import { SourceUnavailableError } from '../../errors/source-unavailable-error.js';
import { amqpSourceId } from '../../transports/amqp/amqp-queue-options.js';
import type { AmqpServer } from '../../transports/amqp/amqp-uri.js';
import { closeQuietly } from '../../transports/amqp/close-quietly.js';
import type { Partition, Position } from '../../types.js';
import type { PeekBatch, PeekCursor, PeekPartition, PeekReader, PeekRecord } from './peek-reader.js';

export interface AmqpRequeuePeekReaderOptions {
  readonly server: AmqpServer;
  readonly queue: string;
  /** Most messages taken in all (`-n`): each is held until `close` gives it back. */
  readonly max: number;
}

/**
 * Peeks at a classic or quorum queue, which cannot be read without taking its messages: `basic.get`
 * takes at most `max` of them, one by one, holding each unacked, and `close` gives every one back at once
 * with `basic.nack(requeue)` — so the queue holds them all again, marked `redelivered` (a quorum queue
 * also counts the delivery towards its delivery limit). Were the process to die meanwhile, the broker
 * requeues them when the channel closes. Never acks. Positions are the order taken (1, 2, …).
 */
export class AmqpRequeuePeekReader implements PeekReader {
  readonly sourceId: string;
  readonly display: string;
  readonly positionsPerPartition = false;
  private model: ChannelModel | undefined;
  private channel: Channel | undefined;
  private lastTag: number | undefined;
  private taken = 0;

  constructor(private readonly options: AmqpRequeuePeekReaderOptions) {
    this.sourceId = amqpSourceId(options.server, options.queue);
    this.display = options.server.display;
  }

  async partitions(): Promise<PeekPartition[]> {
    const { server, queue } = this.options;
    try {
      this.model ??= await amqplib.connect(server.connect, { timeout: 5_000 });
      this.model.on('error', () => undefined);
      this.channel ??= await this.model.createChannel();
      this.channel.on('error', () => undefined);
      await this.channel.checkQueue(queue);
    } catch (error) {
      throw new SourceUnavailableError(
        `cannot read queue "${queue}" at ${server.address}: ${describeError(error)}`,
        {
          cause: error,
          hint: 'check that the queue exists and the user may read it',
        },
      );
    }
    return [{ id: queue }];
  }

  async open(partition: Partition): Promise<PeekCursor> {
    return {
      read: async (max: number): Promise<PeekBatch> => {
        const records: PeekRecord[] = [];
        while (records.length < max && this.taken < this.options.max) {
          const message = await this.channel!.get(this.options.queue, { noAck: false });
          if (message === false) break;
          this.taken++;
          this.lastTag = message.fields.deliveryTag;
          records.push(toRecord(partition, this.taken, message));
        }
        return { records, ended: this.taken >= this.options.max };
      },
    };
  }

  compare(a: Position, b: Position): number {
    return Number(a) - Number(b);
  }

  /** Gives every message taken back to the queue (one `nack` with requeue of all up to the last one). */
  async close(): Promise<void> {
    const channel = this.channel;
    if (channel !== undefined && this.lastTag !== undefined) {
      channel.nack({ fields: { deliveryTag: this.lastTag } } as GetMessage, true, true);
      this.lastTag = undefined;
    }
    if (channel !== undefined) await closeQuietly(channel);
    if (this.model !== undefined) await closeQuietly(this.model);
    this.channel = undefined;
    this.model = undefined;
  }
}

function toRecord(partition: Partition, n: number, message: GetMessage): PeekRecord {
  const ts = message.properties.timestamp as unknown;
  const timestamp = typeof ts === 'number' && ts > 0 ? (ts < 100_000_000_000 ? ts * 1000 : ts) : Date.now();
  return {
    partition,
    position: String(n),
    timestamp,
    key: message.fields.routingKey,
    attributes: {
      routingKey: message.fields.routingKey,
      redelivered: message.fields.redelivered,
      ...(message.properties.messageId === undefined
        ? {}
        : { messageId: String(message.properties.messageId) }),
    },
    bytes: message.content,
  };
}
