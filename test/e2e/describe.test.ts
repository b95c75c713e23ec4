import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateStreamCommand } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionForKey } from '../../src/core/store/partition-for-key.js';
import { BrokerAdmin, uniqueName } from '../amqp/support/broker.js';
import { ensureManagement, MANAGEMENT_URL } from '../amqp/support/management.js';
import { type Kinesalite, placeRecords, startKinesalite, waitActive } from '../kinesis/support/kinesalite.js';
import { AMQP_URL, rabbitmqAvailable, serviceSuite } from '../support/services.js';
import { orderEvent, orderEvents, writeOrdersAgent } from './fixtures.js';
import { expectExit, project, scenarios } from './support.js';

const { readme, skip } = scenarios('describe', 'describe-amqp');
const available = await rabbitmqAvailable();
if (!available) skip('describe-amqp');

let server: Kinesalite;
beforeAll(async () => {
  server = await startKinesalite();
});
afterAll(async () => {
  await server.close();
});

describe('README agentctl describe', () => {
  it('describes the local log of the config, with the partition of a key', async () => {
    const p = project('e2e-describe-');
    writeOrdersAgent(p.dir);
    writeFileSync(join(p.dir, 'events.ndjson'), orderEvents(12));
    expectExit(await p.run('agentctl publish --file events.ndjson && agentctl consume --until-empty'), 0);
    writeFileSync(join(p.dir, 'more.ndjson'), `${orderEvent(13)}\n`);
    expectExit(await p.run('agentctl publish --file more.ndjson'), 0);

    const text = await p.run(readme('agentctl describe'));
    expectExit(text, 0);
    expect(text.stdout).toMatch(/^local:orders — embedded log topic "orders"/);
    expect(text.stdout).toMatch(/records\s+13/);
    expect(text.stdout).toMatch(/GROUP\s+PARTITION\s+CHECKPOINT\s+LAG/);
    expect(text.stdout).toMatch(/^orders\s+\d\s+\d+\s+1$/m);

    const json = await p.run(readme('agentctl describe --key customer-42 --json'));
    expectExit(json, 0);
    const d = JSON.parse(json.stdout) as { key: unknown; groups: { group: string; lagRecords: number }[] };
    expect(d.key).toEqual({ key: 'customer-42', partition: String(partitionForKey('customer-42', 4)) });
    expect(d.groups).toEqual([expect.objectContaining({ group: 'orders', lagRecords: 1 })]);

    const keyed = await p.run(readme('agentctl describe --key customer-42'));
    expectExit(keyed, 0);
    expect(keyed.stdout).toMatch(
      new RegExp(`key\\s+"customer-42" → partition ${partitionForKey('customer-42', 4)}`),
    );
  }, 120_000);

  it('describes a Kinesis stream and the shard of a key (kinesalite for eu-west-1)', async () => {
    const admin = server.client();
    await admin.send(new CreateStreamCommand({ StreamName: 'orders', ShardCount: 2 }));
    await waitActive(admin, 'orders');
    const [placed] = await placeRecords(admin, 'orders', [{ key: 'customer-42', data: 'x' }]);
    const p = project('e2e-describe-kinesis-');
    const example = readme(`agentctl describe 'kinesis://orders?region=eu-west-1' --key customer-42`);
    const line = example.replace(
      'region=eu-west-1',
      `region=us-east-1&endpoint=${encodeURIComponent(server.endpoint)}`,
    );
    const r = await p.run(line);
    expectExit(r, 0);
    expect(r.stdout).toMatch(/shards\s+2 open, 0 closed/);
    expect(r.stdout).toContain(`key "customer-42" (hash key `);
    expect(r.stdout).toContain(`→ ${placed!.shard}\n`);
  }, 60_000);

  describe.skipIf(!available)(serviceSuite('on RabbitMQ', available, 'RabbitMQ', 'AMQP_URL'), () => {
    beforeAll(ensureManagement, 90_000);

    it('describes a queue from the broker and its management API, credentials redacted', async () => {
      const admin = await BrokerAdmin.open();
      const queue = await admin.queue(uniqueName('orders'), 'quorum', {
        'x-dead-letter-exchange': 'orders.dlx',
      });
      try {
        const p = project('e2e-describe-amqp-');
        const example = readme(
          `agentctl describe 'amqp://agent:secret@rabbit:5672/?queue=orders' --management-url http://rabbit:15672`,
        );
        const broker = new URL(AMQP_URL);
        const line = example
          .replace('agent:secret@rabbit:5672', `${broker.username}:${broker.password}@${broker.host}`)
          .replace('queue=orders', `queue=${queue}`)
          .replace('http://rabbit:15672', MANAGEMENT_URL);
        const r = await p.run(line);
        expectExit(r, 0);
        expect(r.stdout).toMatch(/type\s+quorum {2}\(management API\)/);
        expect(r.stdout).toMatch(/dead-letter\s+exchange orders\.dlx {2}\(management API\)/);
        expect(r.stdout).toMatch(/amqp:\/\/\*\*\*@/);
        expect(r.output).not.toContain(`${broker.username}:${broker.password}@`);
      } finally {
        await admin.cleanup();
      }
    }, 120_000);
  });
});
