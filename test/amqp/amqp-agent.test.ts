import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openAmqpSource } from '../../src/core/sources/amqp/open-amqp-source.js';
import type { Source } from '../../src/core/sources/source.js';
import { openSqliteStore, type SqliteStateStore } from '../../src/core/store/sqlite/sqlite-state-store.js';
import { Telemetry } from '../../src/core/telemetry/telemetry.js';
import { rabbitmqAvailable, serviceSuite } from '../support/services.js';
import { tempDir } from '../support/temp.js';
import { amqpAgent, counting, events } from './support/agent.js';
import { amqpUri, BrokerAdmin, closeConnections, unackedCount, uniqueName } from './support/broker.js';

const available = await rabbitmqAvailable();

async function setup(type: 'classic' | 'quorum' | 'stream', query = '') {
  const admin = await BrokerAdmin.open();
  onTestFinished(() => admin.cleanup());
  const queue = await admin.queue(uniqueName(type), type);
  const store = await openSqliteStore({ path: join(tempDir('amqp-agent-'), 'agent.db') });
  onTestFinished(() => store.close());
  const telemetry = new Telemetry();
  const warnings: string[] = [];
  telemetry.on('warning', (w) => warnings.push(w.message));
  const open = (): Source =>
    openAmqpSource(amqpUri(`queue=${queue}&type=${type}${query}`), {
      store,
      group: 'amqp-test',
      telemetry,
      idleMs: 20,
    });
  return { admin, queue, store, open, warnings };
}

async function succeededRuns(store: SqliteStateStore): Promise<number> {
  const counts = await store.runs.countByState('amqp-test');
  return counts.filter((c) => c.state === 'succeeded').reduce((n, c) => n + c.count, 0);
}

describe.skipIf(!available)(
  serviceSuite('AMQP source through an Agent', available, 'RabbitMQ', 'AMQP_URL'),
  () => {
    it('Given 20,000 events in a quorum queue, When an agent consumes until empty, Then every one is processed and nothing is left or unacked', async () => {
      const { admin, queue, store, open } = await setup('quorum');
      await admin.send(queue, events(20_000));
      const counts = new Map<string, number>();

      const source = open();
      const summary = await amqpAgent(store, source, counting(counts)).run();

      expect(summary.read).toBeGreaterThanOrEqual(20_000);
      expect(counts.size).toBe(20_000);
      expect(await succeededRuns(store)).toBe(20_000);
      // The consumer's channel is closed: anything it had not acked would be ready again.
      expect(await admin.depth(queue)).toEqual({ ready: 0, consumers: 0 });
      // The broker's queue figures lag by its stats interval: poll.
      await expect.poll(() => unackedCount(queue), { timeout: 20_000, interval: 500 }).toBe(0);
    });

    it('Given poison messages among good ones, When consumed, Then they are parked in the failed store and acked', async () => {
      const { admin, queue, store, open } = await setup('classic');
      await admin.send(queue, [
        ...events(40),
        'not json at all',
        '{"no":"envelope"}',
        ...events(10, 40),
        '\u00ff\u00fe',
      ]);
      const counts = new Map<string, number>();

      const summary = await amqpAgent(store, open(), counting(counts)).run();

      expect(counts.size).toBe(50);
      expect(summary.parked).toBe(3);
      const parked = await store.failed.list({ group: 'amqp-test' });
      expect(parked.map((p) => p.reason)).toEqual(['decode', 'decode', 'decode']);
      expect(parked.map((p) => p.partition)).toEqual([queue, queue, queue]);
      expect(await admin.depth(queue)).toEqual({ ready: 0, consumers: 0 });
    });

    it('Given a redelivered quorum message, When it is read, Then its delivery count is the attempt number', async () => {
      const { admin, queue, open } = await setup('quorum');
      await admin.send(queue, events(1));
      const first = open();
      await first.connect();
      await first.assign(new Map([[queue, { kind: 'earliest' }]]));
      let fetched = await first.poll(10);
      for (let i = 0; i < 50 && fetched.messages.length === 0; i++) fetched = await first.poll(10);
      expect(fetched.messages[0]?.attributes.deliveryCount).toBe(1);
      await first.close(); // not acked: back to the queue

      const second = open();
      onTestFinished(() => second.close());
      await second.connect();
      await second.assign(new Map([[queue, { kind: 'earliest' }]]));
      fetched = await second.poll(10);
      for (let i = 0; i < 50 && fetched.messages.length === 0; i++) fetched = await second.poll(10);
      expect(fetched.messages[0]?.attributes.deliveryCount).toBe(2);
      const [status] = await second.describe();
      expect(status?.depth).toEqual({ ready: 0, unacked: 1, consumers: 1 });
      expect(status?.detail?.maxAttempts).toBe(2);
    });

    it('Given the connection is force-closed mid-stream, When the agent goes on, Then it recovers by itself, loses nothing and never acks a stale tag', async () => {
      const { admin, queue, store, open, warnings } = await setup('classic', '&prefetch=200');
      await admin.send(queue, events(4_000));
      const counts = new Map<string, number>();
      let closing: Promise<number> | undefined;
      const process = counting(counts, (_, seen) => {
        if (seen !== 1_500) return undefined;
        // Stop this step until the broker dropped the agent's connection.
        closing = closeConnections(queue);
        return closing;
      });

      const source = open();
      const summary = await amqpAgent(store, source, process, {
        consumer: { commitPolicy: { intervalMs: 200, messages: 100 } },
      }).run();

      expect(await closing).toBeGreaterThan(0);
      expect(counts.size).toBe(4_000);
      expect(await succeededRuns(store)).toBe(4_000);
      expect(summary.skippedRuns).toBeGreaterThanOrEqual(0);
      const [status] = await source.describe();
      expect(status?.detail?.reconnects).toBeGreaterThanOrEqual(1);
      expect(String(status?.detail?.channelError ?? '')).not.toMatch(/406|PRECONDITION/);
      expect(warnings.join('\n')).not.toMatch(/406|PRECONDITION/);
      expect(warnings.some((w) => /lost/.test(w))).toBe(true);
      expect(await admin.depth(queue)).toEqual({ ready: 0, consumers: 0 });
    });

    it('Given a stream read part-way, When the agent starts again, Then it resumes after its checkpoint and repeats nothing', async () => {
      const { admin, queue, store, open } = await setup('stream');
      await admin.send(queue, events(100));
      const counts = new Map<string, number>();

      await amqpAgent(store, open(), counting(counts), {
        consumer: { untilEmpty: false, maxEvents: 60 },
      }).run();
      const [checkpoint] = await store.checkpoints.list({ group: 'amqp-test' });
      expect(checkpoint?.position).toBe('59');
      await admin.send(queue, events(40, 100));
      const source = open();
      await amqpAgent(store, source, counting(counts)).run();

      expect(counts.size).toBe(140);
      expect([...counts.values()].every((n) => n === 1)).toBe(true);
      const [after] = await store.checkpoints.list({ group: 'amqp-test' });
      expect(after?.position).toBe('139');
      const reader = open();
      onTestFinished(() => reader.close());
      await reader.connect();
      await admin.send(queue, events(5, 140));
      const [status] = await reader.describe();
      expect(status).toMatchObject({ partition: queue, committed: '139', latest: '144', lagRecords: 5 });
    });

    it('Given the broker cancels the consumer (queue deleted), When the queue is back, Then the source re-subscribes by itself', async () => {
      const { admin, queue, open } = await setup('classic');
      const source = open();
      onTestFinished(() => source.close());
      await source.connect();
      await source.assign(new Map([[queue, { kind: 'earliest' }]]));
      await source.poll(10);

      await admin.deleteQueue(queue);
      let status = (await source.describe())[0];
      for (let i = 0; i < 100 && status?.depth?.consumers !== 1; i++) {
        await delay(50);
        status = (await source.describe())[0];
      }
      await admin.send(queue, ['{"after":"cancel"}']);
      let fetched = await source.poll(10);
      for (let i = 0; i < 100 && fetched.messages.length === 0; i++) fetched = await source.poll(10);

      expect(status?.detail?.brokerCancels).toBe(1);
      expect(status?.depth?.consumers).toBe(1);
      expect(fetched.messages.map((m) => Buffer.from(m.payload).toString())).toEqual(['{"after":"cancel"}']);
    });

    it('Given an exclusive consumer on a queue, When a second exclusive source assigns it, Then it fails with a hint', async () => {
      const { queue, open } = await setup('classic', '&exclusive=true');
      const first = open();
      onTestFinished(() => first.close());
      await first.connect();
      await first.assign(new Map([[queue, { kind: 'earliest' }]]));
      const second = open();
      onTestFinished(() => second.close());
      await second.connect();

      const error = await second.assign(new Map([[queue, { kind: 'earliest' }]])).then(
        () => undefined,
        (e: unknown) => e as Error & { code?: string; hint?: string },
      );

      expect(error?.code).toBe('SOURCE_UNAVAILABLE');
      expect(error?.hint).toMatch(/exclusively/);
    });
  },
);
