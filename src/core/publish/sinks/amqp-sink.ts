import type { ConfirmChannel } from 'amqplib';
import { type Clock, systemClock } from '../../clock.js';
import { SourceUnavailableError } from '../../errors/source-unavailable-error.js';
import { TransientError } from '../../errors/transient-error.js';
import { UsageError } from '../../errors/usage-error.js';
import type { Telemetry } from '../../telemetry/telemetry.js';
import { ManagedChannel } from '../../transports/amqp/amqp-channel.js';
import { AmqpConnection } from '../../transports/amqp/amqp-connection.js';
import { amqpSourceOptions, queueSpec } from '../../transports/amqp/amqp-queue-options.js';
import { type AmqpSettings, amqpSettingsOf } from '../../transports/amqp/amqp-settings.js';
import { ensureQueue, type QueueSpec, replyCode } from '../../transports/amqp/amqp-topology.js';
import { type AmqpServer, flag, parseAmqpUri, positive } from '../../transports/amqp/amqp-uri.js';
import { closeQuietly } from '../../transports/amqp/close-quietly.js';
import { ConfirmedPublisher, type OutgoingMessage } from '../../transports/amqp/confirmed-publisher.js';
import {
  ALL_DELIVERED,
  type PublishRecord,
  type SendProgress,
  type SendResult,
  type Sink,
} from '../publisher.js';

export const AMQP_SINK_HELP =
  'amqp://USER:PASSWORD@HOST:5672/VHOST?exchange=X[&routingKey=K] or ?queue=Q (the default exchange to Q); options: mandatory=false, maxBatch=N';

export interface AmqpSinkOptions {
  readonly clock?: Clock;
  readonly telemetry?: Telemetry;
  /** The config's `adapters` (its `amqp` entry is used). */
  readonly settings?: Readonly<Record<string, unknown>>;
}

/** Where records go, from the sink URI. */
interface Target {
  readonly exchange: string;
  /** Fixed routing key (`routingKey`, or the queue for `?queue=`); else each record's key. */
  readonly routingKey: string | undefined;
  readonly queue: string | undefined;
  readonly mandatory: boolean;
  readonly maxBatch: number;
}

function targetOf(server: AmqpServer): Target {
  const { params, display } = server;
  const queue = params.get('queue') ?? undefined;
  const exchange = params.get('exchange') ?? undefined;
  if (queue === undefined && exchange === undefined) {
    throw new UsageError(`invalid sink "${display}": give ?exchange=NAME or ?queue=NAME`, {
      hint: AMQP_SINK_HELP,
    });
  }
  if (queue !== undefined && exchange !== undefined) {
    throw new UsageError(`invalid sink "${display}": ?exchange and ?queue exclude each other`, {
      hint: AMQP_SINK_HELP,
    });
  }
  return {
    exchange: exchange ?? '',
    routingKey: queue ?? params.get('routingKey') ?? undefined,
    queue,
    mandatory: flag(params, 'mandatory') ?? true,
    maxBatch: params.has('maxBatch') ? positive(params, 'maxBatch', display, 'sink') : 1000,
  };
}

/**
 * Publishes records to RabbitMQ on a confirm channel: `send` resolves once the broker confirmed every
 * record, and reports per record what failed — a nack, a `mandatory` record returned as unroutable, the
 * connection dropping before the confirm, or no confirm within `adapters.amqp.publishTimeoutMs` — so that
 * `RetryingPublisher` retries exactly those under its `Contingency` and parks what never gets through.
 * Records are persistent, with `messageId` = record id (the consumer's idempotency key), the record's
 * headers, and its key as routing key unless the URI fixes one. A full write buffer waits for `drain`.
 * The connection is opened on the first send and kept open (reconnecting with backoff); while it is
 * down, a send waits up to the publish timeout for it and then fails (retriable). Each record's outcome
 * is reported through `progress` as its confirm (or failure) arrives.
 */
export class AmqpSink implements Sink {
  readonly name: string;
  readonly maxBatch: number;
  private readonly target: Target;
  private readonly settings: AmqpSettings;
  private readonly queueSpec: QueueSpec | undefined;
  private readonly connection: AmqpConnection;
  private readonly channel: ManagedChannel<ConfirmChannel>;
  private readonly publisher: ConfirmedPublisher;
  private starting: Promise<unknown> | undefined;
  private closed = false;

  constructor(uri: string, options: AmqpSinkOptions = {}) {
    const server = parseAmqpUri(uri, 'sink');
    this.target = targetOf(server);
    this.settings = amqpSettingsOf(options.settings);
    // A queue target is declared as a source on the same URI would declare it (type, dead-lettering, …),
    // so that `publish` before `consume` does not leave a classic queue the consumer cannot use.
    this.queueSpec =
      this.target.queue === undefined
        ? undefined
        : queueSpec(amqpSourceOptions(uri, options.settings, 'sink'));
    this.maxBatch = this.target.maxBatch;
    const where =
      this.target.queue === undefined ? `exchange=${this.target.exchange}` : `queue=${this.target.queue}`;
    this.name = `${server.tls ? 'amqps' : 'amqp'}://${server.address}?${where}`;
    const clock = options.clock ?? systemClock;
    this.connection = new AmqpConnection({
      server,
      settings: this.settings,
      name: `agentctl sink ${where}`,
      clock,
      keepsProcessAlive: false,
      ...(options.telemetry ? { telemetry: options.telemetry } : {}),
    });
    this.channel = new ManagedChannel<ConfirmChannel>({
      connection: this.connection,
      confirm: true,
      name: `sink ${where}`,
      clock,
      ...(options.telemetry ? { telemetry: options.telemetry } : {}),
      setup: async (channel) => {
        this.publisher.attach(channel);
        await this.declare();
      },
    });
    this.publisher = new ConfirmedPublisher({
      channel: this.channel,
      timeoutMs: this.settings.publishTimeoutMs,
      clock,
    });
  }

  async send(
    records: readonly PublishRecord[],
    signal?: AbortSignal,
    progress?: SendProgress,
  ): Promise<SendResult> {
    if (this.closed) throw new Error(`${this.name} is closed`);
    signal?.throwIfAborted();
    if (records.length === 0) return ALL_DELIVERED;
    await this.start(signal);
    const { exchange, routingKey, mandatory } = this.target;
    const messages: OutgoingMessage[] = new Array(records.length);
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      messages[i] = {
        exchange,
        routingKey: routingKey ?? r.key ?? '',
        content: Buffer.isBuffer(r.value)
          ? r.value
          : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength),
        options: {
          persistent: true,
          mandatory,
          messageId: r.id,
          timestamp: Math.floor(r.timestamp / 1000),
          ...(r.headers === undefined ? {} : { headers: r.headers }),
        },
      };
    }
    const outcomes = await this.publisher.publish(messages, signal, progress);
    let failures: Map<number, unknown> | undefined;
    for (let i = 0; i < outcomes.length; i++) {
      const failure = outcomes[i];
      if (failure === undefined) continue;
      failures ??= new Map();
      failures.set(i, failure);
    }
    return failures === undefined ? ALL_DELIVERED : { failures };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.starting?.catch(() => undefined);
    await this.channel.close();
    await this.connection.close();
  }

  /** Opens the connection and channel on first use; a failed start is tried again on the next send. */
  private async start(signal?: AbortSignal): Promise<void> {
    if (this.channel.channel !== undefined) return;
    if (this.starting === undefined) {
      const starting = this.channel.start(signal).catch((error: unknown) => {
        this.starting = undefined;
        throw error;
      });
      this.starting = starting;
    }
    try {
      await this.starting;
    } catch (error) {
      throw new TransientError(`cannot publish to ${this.name}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  /** The queue of `?queue=` is declared when missing; an `?exchange=` must exist. */
  private async declare(): Promise<void> {
    const model = this.connection.channelModel;
    if (model === undefined) throw new Error('connection lost while opening the channel');
    const { exchange } = this.target;
    if (this.queueSpec !== undefined) {
      await ensureQueue(model, this.queueSpec);
      return;
    }
    if (exchange === '') return;
    const check = await model.createChannel();
    check.on('error', () => undefined);
    try {
      await check.checkExchange(exchange);
    } catch (error) {
      throw new SourceUnavailableError(
        replyCode(error) === 404
          ? `exchange "${exchange}" does not exist`
          : `cannot use exchange "${exchange}"`,
        {
          cause: error,
          hint: 'declare the exchange (rabbitmqadmin declare exchange name=…) or fix ?exchange=',
        },
      );
    } finally {
      await closeQuietly(check);
    }
  }
}
