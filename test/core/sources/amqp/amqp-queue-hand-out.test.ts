import type { ConsumeMessage } from 'amqplib';
import { describe, expect, it } from 'vitest';
import type { AmqpQueueSource } from '../../../../src/core/sources/amqp/amqp-queue-source.js';
import { openAmqpSource } from '../../../../src/core/sources/amqp/open-amqp-source.js';
import { consumeMessage } from './consume-message.js';

const PREFETCH = 40;

/** A queue source consuming with `PREFETCH` (assigned, subscribed) whose broker delivered `n` messages. */
function sourceHolding(n: number): AmqpQueueSource {
  const source = openAmqpSource(`amqp://guest:guest@127.0.0.1:1?queue=q&prefetch=${PREFETCH}`, {
    idleMs: 1,
  }) as AmqpQueueSource;
  const internals = source as unknown as Record<string, unknown> & {
    channel: { generation: number };
    deliver(message: ConsumeMessage, generation: number): void;
  };
  Object.defineProperty(internals.channel, 'channel', { get: () => ({}) });
  internals.assigned = true;
  internals.consumerTag = 'ctag';
  for (let tag = 1; tag <= n; tag++) internals.deliver(consumeMessage(tag), internals.channel.generation);
  return source;
}

describe('AmqpQueueSource: what a poll hands out', () => {
  it(`Given a full prefetch window of ${PREFETCH} delivered, When polled for 500, Then it hands out a quarter of the window at a time, in delivery order (the rest is acked as the first quarters are done, so the broker keeps sending)`, async () => {
    const source = sourceHolding(PREFETCH);
    const sizes: number[] = [];
    const positions: string[] = [];
    for (let i = 0; i < 4; i++) {
      const { messages } = await source.poll(500);
      sizes.push(messages.length);
      positions.push(...messages.map((m) => m.position));
    }
    expect(sizes).toEqual([10, 10, 10, 10]);
    expect(positions).toEqual(Array.from({ length: PREFETCH }, (_, i) => `0:${i + 1}`));
  });

  it('Given a window of deliveries, When polled for fewer than a quarter, Then it hands out what was asked', async () => {
    const { messages } = await sourceHolding(PREFETCH).poll(3);
    expect(messages).toHaveLength(3);
  });
});
