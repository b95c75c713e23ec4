import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { CheckpointRow } from '../../src/core/ops/checkpoint-list.js';
import type { CheckpointPlan } from '../../src/core/ops/checkpoint-moves.js';
import { openSqliteStore } from '../../src/core/store/sqlite/sqlite-state-store.js';
import { agentctl, writeConfig } from '../support/cli.js';
import { AMQP_URL, rabbitmqAvailable, serviceSuite } from '../support/services.js';
import { tempDir } from '../support/temp.js';
import { events } from './support/agent.js';
import { amqpUri, BrokerAdmin, uniqueName } from './support/broker.js';

const available = await rabbitmqAvailable();

describe.skipIf(!available)(
  serviceSuite('agentctl checkpoint set on a RabbitMQ stream queue', available, 'RabbitMQ', 'AMQP_URL'),
  () => {
    it('--to-time maps through x-stream-offset: the plan counts exactly, and --execute lands before the first message at or after T', async () => {
      const admin = await BrokerAdmin.open();
      onTestFinished(() => admin.cleanup());
      const queue = await admin.queue(uniqueName('ckplan-stream'), 'stream');
      await admin.send(queue, events(6), { timestamp: Math.floor(Date.now() / 1000) });
      await delay(2_100);
      const at = Date.now();
      await delay(1_100);
      await admin.send(queue, events(6, 6), { timestamp: Math.floor(Date.now() / 1000) });
      const uri = amqpUri(`queue=${queue}&type=stream`, AMQP_URL);
      const dir = tempDir('ckplan-stream-');
      writeConfig(dir, `{ name: 'orders', publisher: { sink: 'none' }, rules: [], processes: [] }`);
      await (await openSqliteStore({ path: join(dir, '.agentctl', 'agent.db') })).close();
      const T = new Date(at).toISOString();

      const plan = agentctl(['checkpoint', 'set', '--to-time', T, '--source', uri, '--json'], { cwd: dir });
      expect(plan.code, plan.stderr).toBe(0);
      expect(plan.json<CheckpointPlan>().changes).toEqual([
        { partition: queue, after: '5', direction: 'forward', events: 6 },
      ]);
      const run = agentctl(['checkpoint', 'set', '--to-time', T, '--source', uri, '--execute', '--yes'], {
        cwd: dir,
      });
      expect(run.code, run.stderr).toBe(0);
      const list = agentctl(['checkpoint', 'list', '--source', uri, '--json'], { cwd: dir });
      expect(list.json<CheckpointRow[]>()).toEqual([
        expect.objectContaining({ partition: queue, position: '5' }),
      ]);
    }, 120_000);
  },
);
