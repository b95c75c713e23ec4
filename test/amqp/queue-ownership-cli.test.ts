import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import { agentctl, startAgentctl, writeConfig } from '../support/cli.js';
import { AMQP_URL, rabbitmqAvailable, serviceSuite } from '../support/services.js';
import { tempDir } from '../support/temp.js';
import { events } from './support/agent.js';
import { amqpUri, BrokerAdmin, uniqueName } from './support/broker.js';

const available = await rabbitmqAvailable();

interface CheckpointRow {
  readonly partition: string;
  readonly position?: string;
  readonly keptBy?: string;
  readonly owner?: string;
  readonly state?: string;
}

interface StatusReport {
  readonly agents: readonly { readonly id: string; readonly alive: boolean }[];
  readonly partitions: readonly {
    readonly partition: string;
    readonly owner?: string;
    readonly state: string;
  }[];
}

function agentDir(source: string): string {
  const dir = tempDir('queue-ownership-');
  writeConfig(
    dir,
    `{
      name: 'owners',
      source: ${JSON.stringify(source)},
      publisher: { sink: 'none' },
      consumer: { heartbeatMs: 100 },
      rules: [rule({ name: 'r', on: 'submission.created', process: 'p' })],
      processes: [defineProcess({ name: 'p', steps: [{ name: 's', run: () => 'ok' }] })],
    }`,
  );
  return dir;
}

describe.skipIf(!available)(
  serviceSuite('who owns a queue the broker hands out', available, 'RabbitMQ', 'AMQP_URL'),
  () => {
    it('Given an agent consuming a classic queue, When checkpoint list and status are asked, Then both name that agent as the owner of the queue, and checkpoint list says the broker keeps its position', async () => {
      const admin = await BrokerAdmin.open();
      onTestFinished(() => admin.cleanup());
      const queue = await admin.queue(uniqueName('ownership'));
      const dir = agentDir(amqpUri(`queue=${queue}`, AMQP_URL));
      const agent = startAgentctl(['consume', '--json'], { cwd: dir });
      onTestFinished(() => {
        if (agent.child.exitCode === null) agent.child.kill('SIGKILL');
      });
      await admin.send(queue, events(5));
      // Consuming: the queue is empty and the agent's heartbeat names it alive.
      let status: StatusReport | undefined;
      for (let i = 0; ; i++) {
        const s = agentctl(['status', '--json'], { cwd: dir });
        if (s.code === 0) status = s.json<StatusReport>();
        const consumed = (await admin.depth(queue)).ready === 0;
        if (consumed && status?.partitions.some((p) => p.partition === queue && p.owner)) break;
        if (i > 200 || agent.child.exitCode !== null)
          throw new Error(`the agent did not consume: ${agent.stderr()}`);
        await delay(100);
      }

      const list = agentctl(['checkpoint', 'list', '--json'], { cwd: dir });
      const human = agentctl(['checkpoint', 'list'], { cwd: dir });

      expect(list.code, list.stderr).toBe(0);
      const agentId = status!.agents.find((a) => a.alive)?.id;
      const reported = status!.partitions.find((p) => p.partition === queue);
      const row = list.json<CheckpointRow[]>().find((r) => r.partition === queue);
      expect(reported).toMatchObject({ owner: agentId, state: 'reading' });
      expect(row).toMatchObject({ owner: agentId, state: 'reading', keptBy: 'broker' });
      expect(row?.position).toBeUndefined();
      expect(human.code, human.stderr).toBe(0);
      const line = human.stdout.split('\n').find((l) => l.startsWith(queue)) ?? '';
      expect(line).toContain('(broker)');
      expect(line).toContain(agentId);
      expect(line).not.toContain('unassigned');
      agent.child.kill('SIGTERM');
      expect((await agent.done).code).toBe(0);
    });
  },
);
