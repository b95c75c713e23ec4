import { describe, expect, it } from 'vitest';
import {
  eventParkKey,
  positionParkKey,
  recordParkKey,
  recordParkKeyPrefix,
} from '../../../src/core/store/parking.js';

describe('failed-store keys', () => {
  it('Given items parked by earlier versions, When keys are built now, Then they are the same strings (a redelivery that fails again adds to its old item)', () => {
    expect(eventParkKey('orders', 'amqp:orders', { source: '/shop', id: 'e-1' })).toBe(
      'orders|amqp:orders|event:/shop/e-1',
    );
    expect(eventParkKey('orders', 'local:events', { id: 7 })).toBe('orders|local:events|event:/7');
    expect(positionParkKey('orders', 'kinesis:s', 'shardId-000', '4955')).toBe(
      'orders|kinesis:s|at:shardId-000@4955',
    );
    expect(recordParkKey('results', 'rec-9')).toBe('publish/results/rec-9');
    expect(recordParkKey('results', 'rec-9').startsWith(recordParkKeyPrefix('results'))).toBe(true);
    expect(recordParkKey('results-2', 'x').startsWith(recordParkKeyPrefix('results'))).toBe(false);
  });
});
