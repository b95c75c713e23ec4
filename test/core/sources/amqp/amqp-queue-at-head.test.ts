import type { ConsumeMessage } from 'amqplib';
import { describe, expect, it } from 'vitest';
import type { AmqpQueueSource } from '../../../../src/core/sources/amqp/amqp-queue-source.js';
import { openAmqpSource } from '../../../../src/core/sources/amqp/open-amqp-source.js';
import { consumeMessage } from './consume-message.js';

/**
 * A queue source consuming (assigned, subscribed, nothing unacked, empty inbox) on a broker whose
 * passive declare of the queue answers `depth`; nothing connects.
 */
function consumingSource(
  depth: { messageCount: number; consumerCount: number },
  idleMs = 1,
): AmqpQueueSource {
  const source = openAmqpSource('amqp://guest:guest@127.0.0.1:1?queue=q&type=quorum&prefetch=10', {
    idleMs,
  }) as AmqpQueueSource;
  const channel = {
    ack: () => undefined,
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

/** The broker delivers the message of delivery tag `tag` to the source's consumer. */
function deliver(source: AmqpQueueSource, tag: number): void {
  const internals = source as unknown as {
    channel: { generation: number };
    deliver(message: ConsumeMessage, generation: number): void;
  };
  internals.deliver(consumeMessage(tag), internals.channel.generation);
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

  it.each(['as the poll starts', 'while the poll waits'] as const)(
    'Given a poll on the empty inbox while the last delivery is at work, When that delivery is settled %s, Then the poll asks the queue at once (not after its idle wait) and is caught up',
    async (when) => {
      // An idle wait far longer than the test's timeout: the poll can only end through the settle.
      const source = consumingSource({ messageCount: 0, consumerCount: 1 }, 600_000);
      deliver(source, 1);
      const first = await source.poll(10);
      expect(first.messages.map((m) => m.position)).toEqual(['0:1']);

      const waiting = source.poll(10);
      if (when === 'while the poll waits') await new Promise((resolve) => setTimeout(resolve, 20));
      await source.settle(new Map([['q', ['0:1']]]));
      expect(await waiting).toEqual({ messages: [], ended: [], caughtUp: true });
    },
    10_000,
  );

  it('Given the last delivery settled and the broker slow to answer whether the queue is empty, When a delivery comes meanwhile, Then the poll hands it out without waiting for the answer', async () => {
    const source = consumingSource({ messageCount: 0, consumerCount: 1 }, 600_000);
    const internals = source as unknown as { channel: { channel: { checkQueue: () => Promise<unknown> } } };
    deliver(source, 1);
    await source.poll(10);
    internals.channel.channel.checkQueue = () => new Promise(() => undefined);

    const waiting = source.poll(10);
    await source.settle(new Map([['q', ['0:1']]]));
    await new Promise((resolve) => setTimeout(resolve, 20));
    deliver(source, 2);
    const fetched = await waiting;
    expect(fetched.messages.map((m) => m.position)).toEqual(['0:2']);
  }, 10_000);
});
