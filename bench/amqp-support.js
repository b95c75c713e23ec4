// AMQP-only helpers of the benchmark scenarios: queues of persistent CloudEvents, the raw amqplib and
// Rascal consumers the agent is compared with, and figures over interleaved rounds.
import amqp from 'amqplib';
import { brokerCpu } from './amqp-diag.js';
import { startMachineProbe } from './machine-probe.js';
import { sampleEvent, warm } from './support.js';

export { rotated } from './support.js';

export const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** A CloudEvent of about 400 bytes as JSON (the sample event with a realistic title and abstract). */
export function cloudEvent400(i) {
  const event = sampleEvent(i);
  return {
    ...event,
    datacontenttype: 'application/json',
    data: {
      ...event.data,
      title: `On the throughput of event agents, part ${i % 97}`,
      abstract: 'We measure queue consumers that record a run per event and ack each message once done.',
      tags: ['streams', 'queues'],
    },
  };
}

/** Declares durable queues of `type` (deleting any left from an earlier run). */
export async function declareQueues(names, type) {
  const connection = await amqp.connect(AMQP_URL);
  const channel = await connection.createChannel();
  for (const name of names) {
    await channel.deleteQueue(name);
    await channel.assertQueue(name, { durable: true, arguments: { 'x-queue-type': type } });
  }
  await connection.close();
}

/** Publishes `bodies` persistently to each queue, with confirms, a window of 5,000 at a time. */
export async function fillQueues(names, bodies) {
  const connection = await amqp.connect(AMQP_URL);
  const channel = await connection.createConfirmChannel();
  for (const name of names) {
    for (let i = 0; i < bodies.length; i++) {
      const ok = channel.sendToQueue(name, bodies[i], {
        persistent: true,
        contentType: 'application/json',
        messageId: `evt-${i}`,
      });
      if (!ok || i % 5_000 === 4_999) await channel.waitForConfirms();
    }
    await channel.waitForConfirms();
  }
  await connection.close();
}

/** Ready messages left in each queue; then deletes them. */
export async function drainCheck(names) {
  const connection = await amqp.connect(AMQP_URL);
  const channel = await connection.createChannel();
  const left = {};
  for (const name of names) {
    left[name] = (await channel.checkQueue(name)).messageCount;
    await channel.deleteQueue(name);
  }
  await connection.close();
  return left;
}

/**
 * Time and CPU of `work` (µs of CPU per event). A consumer that stops its clock itself (at its last ack,
 * before a slow close) returns `seconds`. `warmCpuUsPerEvent`: the CPU per event after the first fifth
 * of the events (`warm.at`, which each consumer calls as it counts), to the same end. With BENCH_AMQP_DIAG=1 also `machineUs`: the CPU µs
 * of a fixed piece of work in another process over the phase (see `machine-probe.js`), to tell a slower
 * machine from a reader that does more.
 */
export async function measured(events, work) {
  warm.from = Math.ceil(events / 5);
  const probe = process.env.BENCH_AMQP_DIAG === '1' ? startMachineProbe() : undefined;
  const cpu = process.cpuUsage();
  const broker = brokerCpu();
  const started = process.hrtime.bigint();
  const result = await work();
  const brokerUsed = broker === undefined ? undefined : brokerCpu() - broker;
  const seconds = result.seconds ?? Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  const warmUs = warm.usPerEvent(events);
  const machine = await probe?.stop();
  return {
    ...result,
    ...(machine === undefined ? {} : { machineUs: machine.median }),
    seconds,
    eventsPerSecond: events / seconds,
    cpuUsPerEvent: Math.round(((used.user + used.system) / events) * 10) / 10,
    // The broker's CPU over the whole phase (other benches on the broker count in it too).
    ...(brokerUsed === undefined ? {} : { brokerCpuUsPerEvent: Math.round((brokerUsed / events) * 10) / 10 }),
    ...(warmUs === undefined ? {} : { warmCpuUsPerEvent: Math.round(warmUs * 10) / 10 }),
  };
}

/** Raw amqplib: consume with `prefetch`, parse each body, ack each message; until `events` are acked. */
export async function rawConsume(queue, prefetch, events) {
  const started = process.hrtime.bigint();
  const connection = await amqp.connect(AMQP_URL);
  const channel = await connection.createChannel();
  await channel.prefetch(prefetch);
  let count = 0;
  await new Promise((resolve) => {
    channel.consume(queue, (message) => {
      JSON.parse(message.content.toString('utf8'));
      channel.ack(message);
      warm.at(++count);
      if (count === events) resolve();
    });
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await settledClose(channel, connection, queue);
  return { count, seconds };
}

/**
 * Closes after the broker has applied the last acks: a quorum queue (RabbitMQ 3.10) returns deliveries
 * whose acks are still on their way to it when the channel closes, even after a round trip.
 */
async function settledClose(channel, connection, queue) {
  await channel.checkQueue(queue);
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  await channel.close().catch(() => undefined);
  await connection.close();
}

/**
 * Rascal 21 with its documented defaults (a subscription acks with `ackOrNack()`, once per message; the
 * content decoded by its content type), only the prefetch and the queue's shape set, as a user would.
 */
export async function rascalConsume(queue, type, prefetch, events) {
  const { default: Rascal } = await import('rascal');
  const config = {
    vhosts: {
      '/': {
        connection: { url: AMQP_URL },
        queues: { [queue]: { options: { durable: true, arguments: { 'x-queue-type': type } } } },
        subscriptions: { bench: { queue, prefetch } },
      },
    },
  };
  const broker = await Rascal.BrokerAsPromised.create(Rascal.withDefaultConfig(config));
  broker.on('error', () => undefined);
  let count = 0;
  const subscription = await broker.subscribe('bench');
  await new Promise((resolve, reject) => {
    subscription.on('error', reject);
    subscription.on('message', (_message, _content, ackOrNack) => {
      ackOrNack();
      warm.at(++count);
      if (count === events) resolve();
    });
  });
  await subscription.cancel();
  await broker.shutdown();
  return { count };
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** max / min of positive figures (1 when all are equal). */
export function spread(values) {
  return Math.round((Math.max(...values) / Math.min(...values)) * 1000) / 1000;
}
