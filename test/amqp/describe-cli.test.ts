import { setTimeout as delay } from 'node:timers/promises';
import { connect } from 'amqplib';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { AmqpQueueDescription } from '../../src/core/ops/describe-amqp.js';
import { type CliResult, startAgentctl } from '../support/cli.js';
import { AMQP_URL, rabbitmqAvailable, serviceSuite } from '../support/services.js';
import { tempDir } from '../support/temp.js';
import { amqpUri, BrokerAdmin, uniqueName } from './support/broker.js';
import { ensureManagement, MANAGEMENT_URL, managementApi } from './support/management.js';

const available = await rabbitmqAvailable();

/** Runs the CLI to its end without blocking this process (it holds a consumer on the queue). */
async function run(args: readonly string[]): Promise<CliResult> {
  const cli = startAgentctl(args, { cwd: tempDir('describe-amqp-') });
  const timer = setTimeout(() => cli.child.kill('SIGKILL'), 60_000);
  const result = await cli.done;
  clearTimeout(timer);
  return result;
}

/**
 * A quorum queue with a dead-letter exchange and a delivery limit, bound to a direct exchange, holding 7
 * messages of which a consumer (connection "describe-test-consumer") has 2 delivered and not acked.
 */
async function givenAQuorumQueueWithADeadLetterExchange() {
  const admin = await BrokerAdmin.open();
  onTestFinished(() => admin.cleanup());
  const queue = uniqueName('describe');
  const dlx = await admin.exchange(`${queue}.dlx`, 'fanout');
  const exchange = await admin.exchange(`${queue}.in`);
  await admin.queue(queue, 'quorum', { 'x-dead-letter-exchange': dlx, 'x-delivery-limit': 5 });
  const model = await connect(AMQP_URL, { clientProperties: { connection_name: 'describe-test-consumer' } });
  onTestFinished(() => model.close().catch(() => undefined));
  const setup = await model.createChannel();
  await setup.bindQueue(queue, exchange, 'orders.#');
  await admin.send(
    queue,
    Array.from({ length: 7 }, (_, i) => `m${i}`),
  );
  const channel = await model.createChannel();
  await channel.prefetch(2);
  let held = 0;
  await channel.consume(queue, () => {
    held++;
  });
  while (held < 2) await delay(20);
  return { queue, dlx, exchange };
}

/** Waits until the management API's statistics (sampled every few seconds) show the consumer's 2 unacked. */
async function untilManagementSees(queue: string): Promise<void> {
  for (let i = 0; i < 120; i++) {
    const q = await managementApi<{ messages_unacknowledged?: number; consumers?: number }>(
      `queues/%2F/${encodeURIComponent(queue)}`,
    );
    if (q.messages_unacknowledged === 2 && q.consumers === 1) return;
    await delay(250);
  }
  throw new Error('the management API never showed the 2 unacked messages');
}

describe.skipIf(!available)(
  serviceSuite('agentctl describe on a RabbitMQ queue', available, 'RabbitMQ', 'AMQP_URL'),
  () => {
    beforeAll(ensureManagement, 90_000);

    it('Given a quorum queue with a dead-letter exchange, a passive declare gives ready and consumers, and the rest is labelled as agentctl’s settings', async () => {
      const { queue } = await givenAQuorumQueueWithADeadLetterExchange();
      const uri = amqpUri(`queue=${queue}&type=quorum&deadLetterExchange=${queue}.dlx`);

      const json = await run(['describe', uri, '--json']);
      expect(json.code, json.stderr).toBe(0);
      const d = json.json<AmqpQueueDescription>();
      expect(d).toMatchObject({
        kind: 'amqp',
        queue,
        type: { value: 'quorum', from: 'uri' },
        ready: { value: 5, from: 'passive-declare' },
        consumers: { value: 1, from: 'passive-declare' },
        arguments: {
          value: { 'x-queue-type': 'quorum', 'x-dead-letter-exchange': `${queue}.dlx` },
          from: 'uri',
        },
        deadLetter: { exchange: `${queue}.dlx` },
      });
      expect(d.unacked).toBeUndefined();
      expect(d.management).toBeUndefined();

      const text = await run(['describe', uri]);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toMatch(/type\s+quorum {2}\(source URI, not the broker\)/);
      expect(text.stdout).toMatch(/ready\s+5 {2}\(broker, passive declare\)/);
      expect(text.stdout).toMatch(/unacked\s+- \(needs --management-url\)/);
      expect(text.stdout).toMatch(/A passive declare returns only ready messages and consumers/);
      expect(`${text.stdout}${text.stderr}${json.stdout}`).not.toContain('guest:guest');
    }, 60_000);

    it('With --management-url it reads the type, arguments, unacked, consumer hosts and bindings from the API, credentials redacted', async () => {
      const { queue, exchange } = await givenAQuorumQueueWithADeadLetterExchange();
      await untilManagementSees(queue);
      const uri = amqpUri(`queue=${queue}`);
      const withLogin = MANAGEMENT_URL.replace('://', '://guest:guest@');

      const json = await run(['describe', uri, '--management-url', withLogin, '--json']);
      expect(json.code, json.stderr).toBe(0);
      const d = json.json<AmqpQueueDescription>();
      expect(d).toMatchObject({
        type: { value: 'quorum', from: 'management' },
        unacked: { value: 2, from: 'management' },
        consumers: { value: 1, from: 'passive-declare' },
        arguments: {
          value: {
            'x-queue-type': 'quorum',
            'x-dead-letter-exchange': `${queue}.dlx`,
            'x-delivery-limit': 5,
          },
          from: 'management',
        },
        deadLetter: { exchange: `${queue}.dlx` },
      });
      expect(d.ready.value).toBe(5);
      expect(d.management?.url).toBe(MANAGEMENT_URL.replace('://', '://***@'));
      expect(d.management?.consumerHosts).toEqual([
        expect.objectContaining({ host: '127.0.0.1', prefetch: 2, ackRequired: true }),
      ]);
      expect(d.management?.consumerHosts[0]?.connection).toMatch(/127\.0\.0\.1/);
      expect(d.management?.bindings).toEqual(
        expect.arrayContaining([
          { exchange: '(default)', routingKey: queue, arguments: {} },
          { exchange, routingKey: 'orders.#', arguments: {} },
        ]),
      );
      expect(typeof d.management?.rates).toBe('object');

      const text = await run(['describe', uri, '--management-url', withLogin]);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toMatch(/type\s+quorum {2}\(management API\)/);
      expect(text.stdout).toMatch(/unacked\s+2 {2}\(management API\)/);
      expect(text.stdout).toMatch(
        new RegExp(`dead-letter\\s+exchange ${queue}\\.dlx {2}\\(management API\\)`),
      );
      expect(text.stdout).toMatch(/x-delivery-limit=5/);
      expect(text.stdout).toMatch(new RegExp(`${exchange}\\s+orders\\.#`));
      expect(text.stdout).toMatch(/127\.0\.0\.1:\d+/);
      for (const out of [text.stdout, text.stderr, json.stdout, json.stderr])
        expect(out).not.toContain('guest:guest');
    }, 90_000);

    it('says what is wrong with a missing queue (exit 2), an unreachable API or broker (exit 1) and --key (exit 2)', async () => {
      const missing = await run(['describe', amqpUri(`queue=${uniqueName('missing')}`)]);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(
        /error: queue "agentctl-test-missing-\w+" does not exist on 127\.0\.0\.1:5672/,
      );
      expect(missing.stderr).toMatch(/try: check \?queue=/);

      const admin = await BrokerAdmin.open();
      onTestFinished(() => admin.cleanup());
      const queue = await admin.queue(uniqueName('describe'));
      const api = await run([
        'describe',
        amqpUri(`queue=${queue}`),
        '--management-url',
        'http://u:secret@127.0.0.1:1',
      ]);
      expect(api.code).toBe(1);
      expect(api.stderr).toMatch(/management API at http:\/\/\*\*\*@127\.0\.0\.1:1 does not answer/);
      expect(api.stderr).not.toContain('secret');

      const broker = await run(['describe', 'amqp://guest:secret@127.0.0.1:1/?queue=q']);
      expect(broker.code).toBe(1);
      expect(broker.stderr).toMatch(/cannot reach RabbitMQ/);
      expect(broker.stderr).not.toContain('secret');

      const key = await run(['describe', amqpUri(`queue=${queue}`), '--key', 'k']);
      expect(key.code).toBe(2);
      expect(key.stderr).toMatch(/--key maps a partition key/);
    }, 90_000);
  },
);
