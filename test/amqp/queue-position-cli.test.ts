import { describe, expect, it, onTestFinished } from 'vitest';
import { agentctl, writeConfig } from '../support/cli.js';
import { AMQP_URL, rabbitmqAvailable, serviceSuite } from '../support/services.js';
import { tempDir } from '../support/temp.js';
import { events } from './support/agent.js';
import { amqpUri, BrokerAdmin, uniqueName } from './support/broker.js';

const available = await rabbitmqAvailable();

function agentDir(): string {
  const dir = tempDir('queue-position-');
  writeConfig(
    dir,
    `{
      name: 'positions',
      publisher: { sink: 'none' },
      rules: [rule({ name: 'r', on: 'submission.created', process: 'p' })],
      processes: [defineProcess({ name: 'p', steps: [{ name: 's', run: () => 'ok' }] })],
    }`,
  );
  return dir;
}

describe.skipIf(!available)(
  serviceSuite('consume from a classic queue: where it starts', available, 'RabbitMQ', 'AMQP_URL'),
  () => {
    it('Given a classic queue (the broker keeps the position), When consume starts on it, Then it says the broker keeps the position, not that a checkpoint is missing', async () => {
      const admin = await BrokerAdmin.open();
      onTestFinished(() => admin.cleanup());
      const queue = await admin.queue(uniqueName('position'));
      await admin.send(queue, events(5));
      const dir = agentDir();
      const source = amqpUri(`queue=${queue}`, AMQP_URL);

      const human = agentctl(['consume', '--source', source, '--until-empty'], { cwd: dir });
      await admin.send(queue, events(5, 5));
      const json = agentctl(['consume', '--source', source, '--until-empty', '--json'], { cwd: dir });

      expect(human.code, human.stderr).toBe(0);
      expect(human.stderr).not.toMatch(/no checkpoint|initial position/);
      expect(human.stderr).toContain(`reading ${queue}: the broker keeps the position`);
      expect(json.code, json.stderr).toBe(0);
      const assigned = json.lines<{ type: string }>().find((l) => l.type === 'assigned');
      expect(assigned).toMatchObject({ keptBy: 'broker', starts: { [queue]: { initial: false } } });
    });
  },
);
