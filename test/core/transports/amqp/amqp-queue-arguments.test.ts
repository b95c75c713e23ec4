import { describe, expect, it } from 'vitest';
import { queueArguments } from '../../../../src/core/transports/amqp/amqp-topology.js';

describe('the arguments agentctl declares a missing queue with', () => {
  it('names the type, and adds single-active consumer, the dead-letter exchange and (quorum only) the delivery limit when set', () => {
    expect(queueArguments({ name: 'q', type: 'classic', declare: true })).toEqual({
      'x-queue-type': 'classic',
    });
    expect(
      queueArguments({
        name: 'q',
        type: 'quorum',
        declare: true,
        singleActiveConsumer: true,
        deadLetterExchange: 'q.dlx',
        deliveryLimit: 5,
      }),
    ).toEqual({
      'x-queue-type': 'quorum',
      'x-single-active-consumer': true,
      'x-dead-letter-exchange': 'q.dlx',
      'x-delivery-limit': 5,
    });
    expect(queueArguments({ name: 'q', type: 'classic', declare: true, deliveryLimit: 5 })).toEqual({
      'x-queue-type': 'classic',
    });
  });
});
