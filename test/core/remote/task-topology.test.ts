import { describe, expect, it } from 'vitest';
import {
  endpointTopology,
  RESULTS_EXCHANGE,
  resultOutgoing,
  taskOutgoing,
} from '../../../src/core/remote/task-topology.js';

describe('task topology', () => {
  it('Given an agent group, Then its results come back on its own queue; a worker sees the shared one', () => {
    expect(endpointTopology('ep', 'orders')).toEqual({
      endpoint: 'ep',
      tasks: 'ep.tasks',
      results: 'ep.results.orders',
    });
    expect(endpointTopology('ep').results).toBe('ep.results');
  });

  it('Given a name RabbitMQ cannot take, Then it is refused naming the setting', () => {
    expect(() => endpointTopology('a b')).toThrow(/invalid endpoint "a b"/);
    expect(() => endpointTopology('ep', 'x/y')).toThrow(/invalid agent name "x\/y"/);
  });

  it('Given a task and a result, Then both are persistent, mandatory JSON messages identified by the run id', () => {
    const content = Buffer.from('{}');
    const task = taskOutgoing(endpointTopology('ep', 'orders'), 'run-1', content);
    const result = resultOutgoing('ep.results.orders', 'run-1', content);

    expect(task).toMatchObject({ exchange: '', routingKey: 'ep.tasks', content });
    expect(result).toMatchObject({ exchange: RESULTS_EXCHANGE, routingKey: 'ep.results.orders', content });
    const common = { persistent: true, mandatory: true, messageId: 'run-1', contentType: 'application/json' };
    expect(task.options).toEqual({ ...common, type: 'agentctl.task' });
    expect(result.options).toEqual({ ...common, type: 'agentctl.result' });
  });
});
