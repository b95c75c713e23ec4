import type { ConsumeMessage } from 'amqplib';

/** A message as amqplib hands it to the source's consumer: delivery tag `tag`, body `{"n":tag}`. */
export function consumeMessage(tag: number): ConsumeMessage {
  return {
    fields: { deliveryTag: tag, redelivered: false, routingKey: 'q', exchange: '', consumerTag: 'ctag' },
    properties: { headers: {}, timestamp: 1_700_000_000 },
    content: Buffer.from(`{"n":${tag}}`),
  } as unknown as ConsumeMessage;
}
