import { describe, expect, it } from 'vitest';
import { openAmqpSource } from '../../src/core/sources/amqp/open-amqp-source.js';
import { sourceContract } from '../core/sources/source-contract.js';
import { AMQP_URL, rabbitmqAvailable, serviceSuite } from '../support/services.js';
import { amqpUri, BrokerAdmin, uniqueName } from './support/broker.js';

const available = await rabbitmqAvailable();

/** A fresh queue of `type`, read by a source on it; the queue is deleted when the fixture closes. */
async function fixture(type: 'classic' | 'quorum' | 'stream') {
  const admin = await BrokerAdmin.open();
  const queue = await admin.queue(uniqueName(type), type);
  const source = openAmqpSource(amqpUri(`queue=${queue}&type=${type}&prefetch=100`), { idleMs: 20 });
  return {
    source,
    append: (values: readonly string[]) => admin.send(queue, values),
    close: () => admin.cleanup(),
  };
}

describe.skipIf(!available)(serviceSuite('AMQP sources', available, 'RabbitMQ', 'AMQP_URL'), () => {
  sourceContract('AmqpQueueSource (classic)', () => fixture('classic'), { replayable: false });
  sourceContract('AmqpQueueSource (quorum)', () => fixture('quorum'), { replayable: false });
  sourceContract('AmqpStreamSource', () => fixture('stream'), { replayable: true });

  it('Given a URI with a password, When the source is opened, Then its id and uri never show the password', () => {
    const source = openAmqpSource('amqp://agent:s3cret@127.0.0.1:5672/prod?queue=orders');
    expect(source.id).toBe('amqp:prod/orders');
    expect(source.uri).not.toContain('s3cret');
    expect(source.uri).toBe('amqp://***@127.0.0.1:5672/prod?queue=orders');
  });

  it('Given no broker at the address, When connecting, Then it fails with SourceUnavailableError and a hint', async () => {
    const source = openAmqpSource('amqp://guest:secret@127.0.0.1:1/?queue=nowhere', {
      settings: { amqp: { connectAttempts: 1, connectTimeoutMs: 500 } },
    });
    const error = await source.connect().then(
      () => undefined,
      (e: unknown) => e as Error & { code?: string; hint?: string },
    );
    await source.close();
    expect(error?.code).toBe('SOURCE_UNAVAILABLE');
    expect(error?.hint).toMatch(/127\.0\.0\.1:1/);
    expect(error?.message).not.toContain('secret');
  });

  it('Given a missing queue and declare off, When connecting, Then it says the queue does not exist', async () => {
    const queue = uniqueName('missing');
    const source = openAmqpSource(`${AMQP_URL}?queue=${queue}&declare=false`);
    await expect(source.connect()).rejects.toThrow(`queue "${queue}" does not exist`);
    await source.close();
  });
});
