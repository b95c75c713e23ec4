import { describe, expect, it, onTestFinished } from 'vitest';
import { agentctl } from '../support/cli.js';
import { AMQP_URL, rabbitmqAvailable, serviceSuite } from '../support/services.js';
import { tempDir } from '../support/temp.js';
import { events } from './support/agent.js';
import { amqpUri, BrokerAdmin, uniqueName } from './support/broker.js';

const available = await rabbitmqAvailable();

interface Line {
  partition: string;
  position: string;
  event?: { id: string };
}

const peek = (...args: string[]) => agentctl(['peek', ...args], { cwd: tempDir('peek-amqp-') });

describe.skipIf(!available)(
  serviceSuite('agentctl peek on RabbitMQ', available, 'RabbitMQ', 'AMQP_URL'),
  () => {
    it('reads a stream queue by offset, from the first offset or a given one, and the stream keeps every message', async () => {
      const admin = await BrokerAdmin.open();
      onTestFinished(() => admin.cleanup());
      const queue = await admin.queue(uniqueName('peek-stream'), 'stream');
      const sent = events(8);
      await admin.send(queue, sent);
      const uri = amqpUri(`queue=${queue}&type=stream`, AMQP_URL);

      const all = peek(uri, '--json', '-n', '0');
      expect(all.code, all.stderr).toBe(0);
      const lines = all.lines<Line>();
      expect(lines.map((l) => l.position)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7']);
      expect(lines.map((l) => l.event!.id)).toEqual(sent.map((s) => (JSON.parse(s) as { id: string }).id));
      expect(lines[0]!.partition).toBe(queue);

      const from = peek(uri, '--json', '--from', '5');
      expect(from.lines<Line>().map((l) => l.position)).toEqual(['5', '6', '7']);
      expect(peek(uri, '--json', '-n', '0').lines()).toHaveLength(8);
    });

    it('refuses a quorum queue with the reason; with --requeue it shows -n messages and they are all still there', async () => {
      const admin = await BrokerAdmin.open();
      onTestFinished(() => admin.cleanup());
      const queue = await admin.queue(uniqueName('peek-quorum'), 'quorum');
      const sent = events(5);
      await admin.send(queue, sent);
      const uri = amqpUri(`queue=${queue}&type=quorum`, AMQP_URL);

      const refused = peek(uri);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('is a quorum queue: it cannot be read without taking its messages');
      expect(refused.stderr).toContain('--requeue');
      expect((await admin.depth(queue)).ready).toBe(5);

      const run = peek(uri, '--requeue', '-n', '3', '--json');
      expect(run.code, run.stderr).toBe(0);
      expect(run.lines<Line>().map((l) => l.event!.id)).toEqual(
        sent.slice(0, 3).map((s) => (JSON.parse(s) as { id: string }).id),
      );
      expect(run.stderr).toContain('given back (nack, requeue)');
      expect(await admin.depth(queue)).toEqual({ ready: 5, consumers: 0 });
      expect((await admin.drain(queue)).sort()).toEqual([...sent].sort());
    });
  },
);
