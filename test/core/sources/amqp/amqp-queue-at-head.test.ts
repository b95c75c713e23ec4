import { describe, expect, it } from 'vitest';
import type { AmqpQueueSource } from '../../../../src/core/sources/amqp/amqp-queue-source.js';
import { openAmqpSource } from '../../../../src/core/sources/amqp/open-amqp-source.js';

/**
 * A queue source consuming (assigned, subscribed, nothing unacked, empty inbox) on a broker whose
 * passive declare of the queue answers `depth`; nothing connects.
 */
function consumingSource(depth: { messageCount: number; consumerCount: number }): AmqpQueueSource {
  const source = openAmqpSource('amqp://guest:guest@127.0.0.1:1?queue=q&type=quorum&prefetch=10', {
    idleMs: 1,
  }) as AmqpQueueSource;
  const channel = {
    on: () => undefined,
    once: () => undefined,
    off: () => undefined,
    close: async () => undefined,
    checkQueue: async () => ({ queue: 'q', ...depth }),
  };
  const internals = source as unknown as Record<string, unknown>;
  Object.defineProperty(internals.connection, 'channelModel', {
    get: () => ({ createChannel: async () => channel }),
  });
  Object.defineProperty(internals.channel, 'channel', { get: () => channel });
  internals.assigned = true;
  internals.consumerTag = 'ctag';
  return source;
}

describe('AmqpQueueSource: caught up', () => {
  it('Given the queue reports 0 ready and our consumer, When polled with nothing delivered, Then it is caught up', async () => {
    const fetched = await consumingSource({ messageCount: 0, consumerCount: 1 }).poll(10);
    expect(fetched).toEqual({ messages: [], ended: [], caughtUp: true });
  });

  it('Given a quorum queue answering 0 ready and 0 consumers (its leader timed out the query), When polled, Then it is not caught up', async () => {
    const fetched = await consumingSource({ messageCount: 0, consumerCount: 0 }).poll(10);
    expect(fetched.caughtUp).toBe(false);
  });

  it('Given ready messages, When polled with nothing delivered yet, Then it is not caught up', async () => {
    const fetched = await consumingSource({ messageCount: 5, consumerCount: 1 }).poll(10);
    expect(fetched.caughtUp).toBe(false);
  });
});
