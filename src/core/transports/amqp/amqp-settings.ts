import { ConfigError } from '../../errors/config-error.js';
import { z } from '../../vendor/zod.js';

/**
 * The `adapters.amqp` section of the config: settings shared by the AMQP source, sink, queue runner and
 * worker. Options in a URI's query win over these.
 */
export interface AmqpSettings {
  /** Unacked deliveries per consumer: the in-flight bound of a queue source (default 500). */
  readonly prefetch: number;
  /** Heartbeat interval negotiated with the broker, in seconds (default 15; 0 disables). */
  readonly heartbeatSeconds: number;
  /** Time to open a TCP/TLS connection and log in (default 10 s). */
  readonly connectTimeoutMs: number;
  /**
   * First and largest reconnect delay (exponential backoff with jitter; defaults 250 ms and 3 s). The
   * largest delay bounds how long an agent stays away after the broker is back: keep it short.
   */
  readonly reconnectBaseMs: number;
  readonly reconnectMaxMs: number;
  /** Attempts at the first connection before `connect` fails with `SourceUnavailableError` (default 3). */
  readonly connectAttempts: number;
  /** A publish not confirmed within this fails (and is retried by the publisher); default 5 s. */
  readonly publishTimeoutMs: number;
  /** Declare the queue when it does not exist (default true); an existing queue is used as it is. */
  readonly declare: boolean;
  /** Queue type declared when the URI names none (default `classic`). */
  readonly queueType: 'classic' | 'quorum' | 'stream';
  /** Declared with the queue: `x-dead-letter-exchange` (a fanout exchange and `<queue>.dead` are set up). */
  readonly deadLetterExchange?: string;
  /** Declared with a quorum queue: `x-delivery-limit` (poison messages go to the dead-letter exchange). */
  readonly deliveryLimit?: number;
  /** Declared with the queue: `x-single-active-consumer` (one consumer at a time, in order). */
  readonly singleActiveConsumer: boolean;
  /** Consume exclusively (fails when another consumer is on the queue). */
  readonly exclusive: boolean;
  /**
   * How the task queue of a `queue` runner endpoint is consumed: `single-active` (default: one worker at
   * a time, the others stand by, so a duplicate endpoint cannot drain it) or `shared` (every worker of the
   * endpoint takes tasks: the scale-out mode).
   */
  readonly taskConsumers: 'single-active' | 'shared';
  /** How long a stopping `queue` runner waits for the results of the runs it dispatched (default 5 s). */
  readonly resultWaitMs: number;
  /** TLS for `amqps://`: file paths of the CA, client certificate and key, and whether to verify the server. */
  readonly tls: {
    readonly ca?: string;
    readonly cert?: string;
    readonly key?: string;
    readonly passphrase?: string;
    readonly rejectUnauthorized?: boolean;
    readonly servername?: string;
  };
}

export const DEFAULT_AMQP_SETTINGS: AmqpSettings = {
  prefetch: 500,
  heartbeatSeconds: 15,
  connectTimeoutMs: 10_000,
  reconnectBaseMs: 250,
  reconnectMaxMs: 3_000,
  connectAttempts: 3,
  publishTimeoutMs: 5_000,
  declare: true,
  queueType: 'classic',
  singleActiveConsumer: false,
  exclusive: false,
  taskConsumers: 'single-active',
  resultWaitMs: 5_000,
  tls: {},
};

const positive = z.number().int().positive();
const ms = z.number().int().nonnegative();

const schema = z
  .object({
    prefetch: positive.max(65_535),
    heartbeatSeconds: z.number().int().nonnegative(),
    connectTimeoutMs: positive,
    reconnectBaseMs: ms,
    reconnectMaxMs: ms,
    connectAttempts: positive,
    publishTimeoutMs: positive,
    declare: z.boolean(),
    queueType: z.enum(['classic', 'quorum', 'stream']),
    deadLetterExchange: z.string().min(1),
    deliveryLimit: positive,
    singleActiveConsumer: z.boolean(),
    exclusive: z.boolean(),
    taskConsumers: z.enum(['single-active', 'shared']),
    resultWaitMs: ms,
    tls: z
      .object({
        ca: z.string().min(1),
        cert: z.string().min(1),
        key: z.string().min(1),
        passphrase: z.string(),
        rejectUnauthorized: z.boolean(),
        servername: z.string().min(1),
      })
      .partial()
      .strict(),
  })
  .partial()
  .strict();

/** Validates `adapters.amqp` and fills in defaults. @throws ConfigError naming the wrong key. */
export function amqpSettings(raw: unknown): AmqpSettings {
  if (raw === undefined) return DEFAULT_AMQP_SETTINGS;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = ['adapters', 'amqp', ...issue.path.map(String)].join('.');
    const what =
      issue.code === 'unrecognized_keys'
        ? `unknown key ${issue.keys.map((k) => `"${k}"`).join(', ')}`
        : issue.message;
    throw new ConfigError(`invalid config: ${key}: ${what}`, key, {
      hint: 'see "RabbitMQ" in the README for the adapters.amqp keys',
    });
  }
  const value = parsed.data;
  return { ...DEFAULT_AMQP_SETTINGS, ...value, tls: { ...value.tls } } as AmqpSettings;
}

/** The `amqp` entry of the config's `adapters` (which `openSource`/`openSink` pass as `settings`). */
export function amqpSettingsOf(adapters: Readonly<Record<string, unknown>> | undefined): AmqpSettings {
  return amqpSettings(adapters?.amqp);
}
