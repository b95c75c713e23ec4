import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'amqplib';
import { describe, expect, it, onTestFinished } from 'vitest';
import { agentctl } from '../support/cli.js';
import { AMQP_URL, rabbitmqAvailable, serviceSuite } from '../support/services.js';
import { tempDir } from '../support/temp.js';
import { events } from './support/agent.js';
import { BrokerAdmin, uniqueName } from './support/broker.js';

const available = await rabbitmqAvailable();

describe.skipIf(!available)(
  serviceSuite('agentctl publish to RabbitMQ', available, 'RabbitMQ', 'AMQP_URL'),
  () => {
    it('Given a queue URI, When publish --type --data runs, Then it says so, exits 0 and the event is in the queue', async () => {
      const admin = await BrokerAdmin.open();
      onTestFinished(() => admin.cleanup());
      const queue = uniqueName('publish-cli');
      admin.track(queue);
      const dir = tempDir('publish-amqp-');

      const published = agentctl(
        ['publish', '--source', `${AMQP_URL}?queue=${queue}`, '--type', 'order.placed', '--data', '{"n":1}'],
        { cwd: dir },
      );

      expect(published.code, published.stderr).toBe(0);
      expect(published.stdout).toMatch(/^published 1 event to amqp:\/\/.*queue=/);
      expect(published.stdout + published.stderr).not.toContain('guest:guest');
      const bodies = await admin.drain(queue);
      expect(bodies.map((b) => (JSON.parse(b) as { type: string }).type)).toEqual(['order.placed']);
    });

    it.each(['quorum', 'stream'] as const)(
      'Given a queue URI with type=%s for a queue that does not exist yet, When publish runs, Then the queue is declared of that type (so consume with the same URI can read it)',
      async (type) => {
        const admin = await BrokerAdmin.open();
        onTestFinished(() => admin.cleanup());
        const queue = uniqueName(`publish-cli-${type}`);
        admin.track(queue);
        const dir = tempDir('publish-amqp-type-');

        const published = agentctl(
          ['publish', '--source', `${AMQP_URL}?queue=${queue}&type=${type}`, '--type', 't', '--data', '{}'],
          { cwd: dir },
        );

        expect(published.code, published.stderr).toBe(0);
        // The broker refuses to re-declare a queue with another x-queue-type (406 PRECONDITION_FAILED).
        const connection = await connect(AMQP_URL);
        onTestFinished(() => connection.close().catch(() => undefined));
        const channel = await connection.createChannel();
        channel.on('error', () => undefined);
        await expect(
          channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': type } }),
        ).resolves.toMatchObject({ queue });
      },
    );

    it('Given an NDJSON file of 300 events, When publish --file --json runs, Then all 300 are in the queue, in order', async () => {
      const admin = await BrokerAdmin.open();
      onTestFinished(() => admin.cleanup());
      const queue = uniqueName('publish-cli-file');
      admin.track(queue);
      const dir = tempDir('publish-amqp-');
      writeFileSync(join(dir, 'events.ndjson'), `${events(300).join('\n')}\n`);

      const published = agentctl(
        ['publish', '--source', `${AMQP_URL}?queue=${queue}`, '--file', 'events.ndjson', '--json'],
        { cwd: dir },
      );

      expect(published.code, published.stderr).toBe(0);
      expect(published.json()).toMatchObject({ published: 300 });
      const bodies = await admin.drain(queue);
      expect(bodies.map((b) => (JSON.parse(b) as { id: string }).id)).toEqual(
        events(300).map((e) => (JSON.parse(e) as { id: string }).id),
      );
    });
  },
);
