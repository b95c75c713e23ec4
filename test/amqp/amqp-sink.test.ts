import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import { contingency } from '../../src/core/publish/contingency.js';
import { openSink } from '../../src/core/publish/open-sink.js';
import type { PublishRecord, Sink } from '../../src/core/publish/publisher.js';
import { RetryingPublisher } from '../../src/core/publish/retrying-publisher.js';
import { AmqpSink } from '../../src/core/publish/sinks/amqp-sink.js';
import { Journal } from '../../src/core/store/journal.js';
import type { StateStore } from '../../src/core/store/state-store.js';
import { startFixtureChild } from '../support/fixture-child.js';
import { AMQP_URL, rabbitmqAvailable, serviceSuite } from '../support/services.js';
import { amqpUri, BrokerAdmin, uniqueName } from './support/broker.js';
import { TcpProxy } from './support/tcp-proxy.js';

const available = await rabbitmqAvailable();

function records(n: number, from = 0): PublishRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `rec-${from + i}`,
    key: `k-${(from + i) % 7}`,
    value: Buffer.from(JSON.stringify({ n: from + i })),
    timestamp: 1_795_000_000_000 + i,
  }));
}

function publisherOn(sink: Sink, retries: Partial<Parameters<typeof contingency>[0]> = {}) {
  const journal = new Journal();
  const publisher = new RetryingPublisher({
    sink,
    contingency: contingency({
      maxRetries: 30,
      kind: 'exponential',
      baseMs: 50,
      maxMs: 500,
      jitter: 0.2,
      ...retries,
    }),
    journal,
    group: 'sink-test',
    attemptTimeoutMs: 5_000,
  });
  onTestFinished(() => publisher.close());
  return { publisher, journal };
}

const fastSettings = { amqp: { publishTimeoutMs: 1_000, reconnectBaseMs: 100, reconnectMaxMs: 500 } };

describe.skipIf(!available)(serviceSuite('AmqpSink', available, 'RabbitMQ', 'AMQP_URL'), () => {
  it('Given a queue sink URI, When records are published, Then each is confirmed and lands in the queue, in order', async () => {
    const admin = await BrokerAdmin.open();
    onTestFinished(() => admin.cleanup());
    const queue = uniqueName('sink');
    admin.track(queue);
    const sink = await openSink(amqpUri(`queue=${queue}`), { store: {} as StateStore });
    const { publisher } = publisherOn(sink!);

    const efforts = await Promise.all(records(500).map((r) => publisher.publish(r)));

    expect(efforts.every((e) => e.culmination === 'delivered')).toBe(true);
    expect(sink!.name).not.toContain('guest:guest');
    const bodies = await admin.drain(queue);
    expect(bodies).toHaveLength(500);
    expect(bodies[0]).toBe('{"n":0}');
  });

  it('Given a script that sends under a top-level await and never closes the sink, When it runs, Then every record is confirmed and the process then exits on its own', async () => {
    const admin = await BrokerAdmin.open();
    onTestFinished(() => admin.cleanup());
    const queue = uniqueName('sink-child');
    admin.track(queue);

    const child = startFixtureChild(
      'test/amqp/fixtures/amqp-sink-child.ts',
      [amqpUri(`queue=${queue}`), '50'],
      'ready',
    );
    const exit = await child.exited;

    expect(exit.stdout, exit.stderr).toBe('ready\nsent 0\n');
    expect(exit.code).toBe(0);
    expect(await admin.drain(queue)).toHaveLength(50);
  });

  it('Given many sends in flight at once, When records are published, Then no listener piles up on the channel (no MaxListeners warning)', async () => {
    const admin = await BrokerAdmin.open();
    onTestFinished(() => admin.cleanup());
    const queue = await admin.queue(uniqueName('sink-wide'));
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    onTestFinished(() => {
      process.off('warning', onWarning);
    });
    const sink = new AmqpSink(`${amqpUri(`queue=${queue}`)}&maxBatch=5`, { settings: fastSettings });
    const publisher = new RetryingPublisher({
      sink,
      contingency: contingency(),
      journal: new Journal(),
      group: 'sink-test',
      maxSendsInFlight: 32,
    });
    onTestFinished(() => publisher.close());

    const efforts = await Promise.all(records(600).map((r) => publisher.publish({ ...r, key: undefined })));
    await delay(50); // warnings are emitted on the next tick

    expect(efforts.every((e) => e.culmination === 'delivered')).toBe(true);
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    expect(await admin.drain(queue)).toHaveLength(600);
  });

  it('Given the broker unreachable for a while, When records keep coming, Then every one is delivered afterwards', async () => {
    const admin = await BrokerAdmin.open();
    onTestFinished(() => admin.cleanup());
    const queue = await admin.queue(uniqueName('sink-outage'));
    const proxy = await TcpProxy.start();
    onTestFinished(() => proxy.close());
    const sink = new AmqpSink(`${proxy.url()}?queue=${queue}`, { settings: fastSettings });
    const { publisher } = publisherOn(sink);

    const first = records(100).map((r) => publisher.publish(r));
    await Promise.all(first);
    proxy.cut();
    const during = records(200, 100).map((r) => publisher.publish(r));
    await delay(2_000);
    proxy.restore();
    const efforts = await Promise.all([...first, ...during]);

    expect(efforts.filter((e) => e.culmination !== 'delivered')).toEqual([]);
    expect(efforts.some((e) => e.attempts > 1)).toBe(true);
    const got = new Set((await admin.drain(queue)).map((b) => (JSON.parse(b) as { n: number }).n));
    expect(got.size).toBe(300);
  });

  it('Given a queue that refuses publishes when full, When more are published, Then the nacked ones are failures and parked', async () => {
    const admin = await BrokerAdmin.open();
    onTestFinished(() => admin.cleanup());
    const queue = await admin.queue(uniqueName('sink-full'), 'classic', {
      'x-max-length': 5,
      'x-overflow': 'reject-publish',
    });
    const sink = new AmqpSink(`${AMQP_URL}?queue=${queue}`);
    const { publisher, journal } = publisherOn(sink, { maxRetries: 1, baseMs: 10 });

    const efforts = await Promise.all(records(8).map((r) => publisher.publish(r)));

    expect(efforts.filter((e) => e.culmination === 'delivered')).toHaveLength(5);
    const parked = efforts.filter((e) => e.culmination === 'parked');
    expect(parked).toHaveLength(3);
    expect(parked[0]?.lastError).toMatch(/nack/);
    expect(journal.take().parked).toHaveLength(3);
  });

  it('Given a full queue that refuses some publishes, When a batch is sent with progress, Then every outcome is reported once, as it comes, before the send returns the same failures', async () => {
    const admin = await BrokerAdmin.open();
    onTestFinished(() => admin.cleanup());
    const queue = await admin.queue(uniqueName('sink-progress'), 'classic', {
      'x-max-length': 5,
      'x-overflow': 'reject-publish',
    });
    const sink = new AmqpSink(`${AMQP_URL}?queue=${queue}`);
    onTestFinished(() => sink.close());
    const reported: [number, unknown][] = [];
    let returned = false;

    const result = await sink
      .send(records(8), undefined, (index, failure) => {
        expect(returned).toBe(false);
        reported.push([index, failure]);
      })
      .finally(() => {
        returned = true;
      });

    expect(reported.map(([index]) => index).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const failedByProgress = reported.filter(([, failure]) => failure !== undefined).map(([index]) => index);
    expect(failedByProgress.sort((a, b) => a - b)).toEqual([...result.failures.keys()].sort((a, b) => a - b));
    expect(failedByProgress).toHaveLength(3);
    expect(String(result.failures.get(failedByProgress[0]!))).toMatch(/nack/);
  });

  it('Given an exchange with no binding for the key, When published (mandatory), Then the return is a failure', async () => {
    const admin = await BrokerAdmin.open();
    onTestFinished(() => admin.cleanup());
    const exchange = await admin.exchange(uniqueName('sink-x'));
    const sink = new AmqpSink(`${AMQP_URL}?exchange=${exchange}&routingKey=nowhere`);
    const { publisher } = publisherOn(sink, { maxRetries: 0 });

    const effort = await publisher.publish(records(1)[0]!);

    expect(effort.culmination).toBe('parked');
    expect(effort.lastError).toMatch(/unroutable/);
  });

  it('Given a sink URI with neither exchange nor queue, When opened, Then it says what to add', async () => {
    await expect(openSink('amqp://u:secret@localhost/', { store: {} as StateStore })).rejects.toThrow(
      /give \?exchange=NAME or \?queue=NAME/,
    );
  });
});
