import { connect } from 'amqplib';
import { describe, expect, it, onTestFinished } from 'vitest';
import { coalesceWrites } from '../../src/core/transports/amqp/coalesced-writes.js';
import { AMQP_URL, rabbitmqAvailable, serviceSuite } from '../support/services.js';
import { BrokerAdmin, uniqueName } from './support/broker.js';

const available = await rabbitmqAvailable();

/** Counts the writes amqplib's connection hands its socket (each one a system call). */
function countWrites(model: object): { writes: number } {
  const socket = (model as { connection: { stream: Record<string, unknown> } }).connection.stream;
  const counts = { writes: 0 };
  for (const method of ['_write', '_writev'] as const) {
    const original = socket[method] as (...args: unknown[]) => unknown;
    socket[method] = function (this: unknown, ...args: unknown[]) {
      counts.writes++;
      return original.apply(this, args);
    };
  }
  return counts;
}

/** Publishes `n` numbered messages on a confirm channel of `model` and waits for their confirms. */
async function publishNumbered(model: Awaited<ReturnType<typeof connect>>, queue: string, n: number) {
  const channel = await model.createConfirmChannel();
  for (let i = 0; i < n; i++) channel.sendToQueue(queue, Buffer.from(String(i)), { persistent: true });
  await channel.waitForConfirms();
  await channel.close();
}

describe.skipIf(!available)(serviceSuite('coalesceWrites', available, 'RabbitMQ', 'AMQP_URL'), () => {
  it('Given a connection with coalesced writes, When 2,000 messages are published at once, Then they reach the socket in far fewer writes, and the queue holds them all in order', async () => {
    const admin = await BrokerAdmin.open();
    onTestFinished(() => admin.cleanup());
    const queue = await admin.queue(uniqueName('coalesced'));
    const model = await connect(AMQP_URL, { noDelay: true });
    onTestFinished(() => model.close().catch(() => undefined));

    expect(coalesceWrites(model)).toBe(true);
    expect(coalesceWrites(model)).toBe(true);
    const counted = countWrites(model);
    await publishNumbered(model, queue, 2_000);

    expect(counted.writes).toBeLessThan(200);
    const bodies = await admin.drain(queue);
    expect(bodies).toEqual(Array.from({ length: 2_000 }, (_, i) => String(i)));
  });

  it('Given a plain connection, When the same messages are published, Then amqplib writes about one frame at a time (what coalescing saves)', async () => {
    const admin = await BrokerAdmin.open();
    onTestFinished(() => admin.cleanup());
    const queue = await admin.queue(uniqueName('plain'));
    const model = await connect(AMQP_URL, { noDelay: true });
    onTestFinished(() => model.close().catch(() => undefined));

    const counted = countWrites(model);
    await publishNumbered(model, queue, 2_000);

    expect(counted.writes).toBeGreaterThan(1_000);
    expect(await admin.drain(queue)).toHaveLength(2_000);
  });

  it('Given something that is not an amqplib connection, When asked to coalesce, Then it changes nothing and says so', () => {
    expect(coalesceWrites({} as never)).toBe(false);
    expect(coalesceWrites({ connection: { stream: {}, muxer: {} } } as never)).toBe(false);
  });
});
