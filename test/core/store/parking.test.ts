import { describe, expect, it } from 'vitest';
import {
  eventParkKey,
  parkedEvent,
  parkedRecord,
  parkedRemoteRun,
  positionParkKey,
  recordParkKey,
  recordParkKeyPrefix,
} from '../../../src/core/store/parking.js';

const bytes = new TextEncoder().encode('{"x":1}');

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

describe('failed-store items', () => {
  const site = { group: 'orders', source: 'amqp:orders', failedAt: 50, via: 'replay' };
  const failure = { reason: 'process' as const, error: 'boom', rule: 'bill', runId: 'r-1', attempts: 2 };

  it('Given a decoded message that failed, When it is parked, Then the item is keyed by its event and counts the broker deliveries', () => {
    const message = {
      partition: 'q',
      position: '7',
      payload: { event: { id: 'e-1', type: 't', source: '/shop' } },
      raw: bytes,
      timestamp: 10,
      attributes: { deliveryCount: 5 },
    };
    const item = parkedEvent(message, failure, site);
    expect(item).toMatchObject({
      key: 'orders|amqp:orders|event:/shop/e-1',
      kind: 'event',
      reason: 'process',
      eventId: 'e-1',
      eventType: 't',
      rule: 'bill',
      runId: 'r-1',
      attempts: 5,
      failedAt: 50,
      via: 'replay',
      partition: 'q',
      position: '7',
    });
    expect(item.raw).toBe(bytes);
  });

  it('Given bytes that never decoded, When they are parked, Then the item is keyed by where they were read', () => {
    const message = {
      partition: 'q',
      position: '8',
      payload: bytes,
      raw: bytes,
      timestamp: 10,
      attributes: {},
    };
    const item = parkedEvent(message, { reason: 'decode', error: 'bad json', attempts: 1 }, site);
    expect(item.key).toBe('orders|amqp:orders|at:q@8');
    expect(item.eventId).toBeUndefined();
    expect(item.attempts).toBe(1);
  });

  it('Given a record its sink refused, When it is parked, Then it keeps the sink reference, its key and headers, keyed publish/<sink>/<id>', () => {
    const record = {
      id: 'rec-9',
      key: 'sub-1',
      value: bytes,
      headers: { h: 'v' },
      timestamp: 3,
      runId: 'r-1',
      origin: { source: 'local:events', partition: '0', position: '4' },
    };
    const item = parkedRecord(
      record,
      { error: 'refused', attempts: 6 },
      { group: 'orders', sink: 'results', sinkRef: 'publisher.sink', failedAt: 9 },
    );
    expect(item).toMatchObject({
      key: 'publish/results/rec-9',
      kind: 'record',
      reason: 'publish',
      sink: 'results',
      sinkRef: 'publisher.sink',
      recordKey: 'sub-1',
      headers: { h: 'v' },
      source: 'local:events',
      partition: '0',
      position: '4',
      attempts: 6,
    });
  });

  it('Given a run that failed on a worker, When it is parked, Then it is keyed as the agent would park its event', () => {
    const run = {
      id: 'r-1',
      group: 'orders',
      eventId: 'e-1',
      eventType: 't',
      rule: 'bill',
      process: 'charge',
      state: 'failed',
      attempts: 3,
      error: 'card declined',
      createdAt: 1,
      updatedAt: 2,
      finishedAt: 4,
      origin: { source: 'amqp:orders', partition: 'q', position: '7' },
    } as unknown as Parameters<typeof parkedRemoteRun>[0];
    const item = parkedRemoteRun(run, { id: 'e-1', source: '/shop' }, bytes, 'w1');
    expect(item.key).toBe(eventParkKey('orders', 'amqp:orders', { id: 'e-1', source: '/shop' }));
    expect(item).toMatchObject({ reason: 'task', via: 'worker w1', failedAt: 4, error: 'card declined' });
  });
});
