import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { type Channel, type ChannelModel, connect, type Options } from 'amqplib';
import { AMQP_URL } from '../../support/services.js';

const run = promisify(execFile);

/** A queue (or exchange) name no other test uses. */
export function uniqueName(prefix: string): string {
  return `agentctl-test-${prefix}-${randomBytes(4).toString('hex')}`;
}

/** `AMQP_URL` with agentctl's query options. */
export function amqpUri(query: string, base = AMQP_URL): string {
  return `${base}${base.includes('?') ? '&' : '?'}${query}`;
}

/**
 * A plain amqplib connection for arranging and inspecting tests: declare, publish with confirms, check
 * depths, delete. Everything it declared is deleted by `cleanup`.
 */
export class BrokerAdmin {
  private readonly queues = new Set<string>();
  private readonly exchanges = new Set<string>();

  private constructor(
    private readonly model: ChannelModel,
    private readonly channel: Channel,
  ) {}

  static async open(): Promise<BrokerAdmin> {
    const model = await connect(AMQP_URL, { clientProperties: { connection_name: 'agentctl test admin' } });
    model.on('error', () => undefined);
    const channel = await model.createConfirmChannel();
    return new BrokerAdmin(model, channel);
  }

  /** Declares a durable queue (deleted at cleanup). */
  async queue(
    name: string,
    type: 'classic' | 'quorum' | 'stream' = 'classic',
    args: Record<string, unknown> = {},
  ) {
    this.queues.add(name);
    await this.channel.assertQueue(name, { durable: true, arguments: { 'x-queue-type': type, ...args } });
    return name;
  }

  /** Remembers a queue something else declares, to delete it at cleanup. */
  track(...names: string[]): void {
    for (const name of names) this.queues.add(name);
  }

  /** Deletes a queue now (consumers on it get a `basic.cancel`). */
  async deleteQueue(name: string): Promise<void> {
    await this.channel.deleteQueue(name);
  }

  async exchange(name: string, type = 'direct'): Promise<string> {
    this.exchanges.add(name);
    await this.channel.assertExchange(name, type, { durable: false, autoDelete: false });
    return name;
  }

  /** Publishes to a queue with confirms, in batches. */
  async send(
    queue: string,
    bodies: readonly (string | Buffer)[],
    options: Options.Publish = {},
  ): Promise<void> {
    const channel = this.channel as unknown as { waitForConfirms(): Promise<void> } & Channel;
    for (let i = 0; i < bodies.length; i++) {
      const body = bodies[i]!;
      const ok = channel.sendToQueue(queue, Buffer.isBuffer(body) ? body : Buffer.from(body), {
        persistent: true,
        ...options,
      });
      if (!ok || i % 1000 === 999) await channel.waitForConfirms();
    }
    await channel.waitForConfirms();
  }

  /** Ready messages and consumers, as the broker counts them. */
  async depth(queue: string): Promise<{ ready: number; consumers: number }> {
    // A throwaway channel: checking a queue that does not exist (yet) closes the channel it is asked on.
    const channel = await this.model.createChannel();
    channel.on('error', () => undefined);
    try {
      const ok = await channel.checkQueue(queue);
      return { ready: ok.messageCount, consumers: ok.consumerCount };
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  /** Every message of a queue, taken with `basic.get` and acked. */
  async drain(queue: string): Promise<string[]> {
    const got: string[] = [];
    for (;;) {
      const message = await this.channel.get(queue, { noAck: true });
      if (message === false) return got;
      got.push(message.content.toString());
    }
  }

  async cleanup(): Promise<void> {
    for (const queue of this.queues) await this.channel.deleteQueue(queue).catch(() => undefined);
    for (const exchange of this.exchanges) await this.channel.deleteExchange(exchange).catch(() => undefined);
    await this.model.close().catch(() => undefined);
  }
}

/** `messages_unacknowledged` of a queue, from `rabbitmqctl` (amqplib cannot see other consumers' unacked). */
export async function unackedCount(queue: string): Promise<number> {
  const { stdout } = await run('rabbitmqctl', [
    'list_queues',
    '-q',
    '--no-table-headers',
    'name',
    'messages_unacknowledged',
  ]);
  for (const line of stdout.split('\n')) {
    const [name, count] = line.trim().split(/\s+/);
    if (name === queue) return Number(count);
  }
  throw new Error(`queue ${queue} not listed by rabbitmqctl`);
}

/**
 * Force-closes the broker connections whose `connection_name` contains `fragment` (what
 * `rabbitmqctl close_all_connections` does, limited to this test's connections so that tests running in
 * parallel are not hit). Returns how many were closed.
 */
export async function closeConnections(fragment: string): Promise<number> {
  const { stdout } = await run('rabbitmqctl', [
    'list_connections',
    '-q',
    '--no-table-headers',
    'pid',
    'client_properties',
  ]);
  let closed = 0;
  for (const line of stdout.split('\n')) {
    const pid = line.match(/^(<[^>]+>)/)?.[1];
    const name = line.match(/"connection_name","([^"]*)"/)?.[1];
    if (pid === undefined || name === undefined || !name.includes(fragment)) continue;
    await run('rabbitmqctl', ['close_connection', pid, 'agentctl test: forced close']).catch(() => undefined);
    closed++;
  }
  return closed;
}
