import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openAmqpSource } from '../../src/core/sources/amqp/open-amqp-source.js';
import { openSqliteStore, type SqliteStateStore } from '../../src/core/store/sqlite/sqlite-state-store.js';
import type { StateStore } from '../../src/core/store/state-store.js';
import { rabbitmqAvailable, serviceSuite } from '../support/services.js';
import { tempDir } from '../support/temp.js';
import { amqpAgent, counting, events } from './support/agent.js';
import { amqpUri, BrokerAdmin, uniqueName } from './support/broker.js';

const available = await rabbitmqAvailable();
const PREFETCH = 200;
const EVENTS = 1_000;

/** A store whose flushes wait at a gate the test opens: a store as slow as the test wants. */
function gatedStore(store: SqliteStateStore) {
  let open!: () => void;
  let gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  const held = { flushes: 0 };
  const slow = new Proxy(store, {
    get(target, key) {
      if (key === 'flush') {
        return async (...args: Parameters<StateStore['flush']>) => {
          held.flushes++;
          await gate;
          return target.flush(...args);
        };
      }
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return {
    store: slow as SqliteStateStore,
    held,
    release: () => {
      open();
      gate = Promise.resolve();
    },
  };
}

describe.skipIf(!available)(
  serviceSuite('the prefetch window of a queue consumer', available, 'RabbitMQ', 'AMQP_URL'),
  () => {
    it(`Given a quorum queue, prefetch ${PREFETCH}, a pool runner and a store whose flush is held, When the agent consumes, Then it takes and works every delivery of the window while the flush waits (the loop never waits on the store), and acks them all once it is through`, async () => {
      const admin = await BrokerAdmin.open();
      onTestFinished(() => admin.cleanup());
      const queue = await admin.queue(uniqueName('window'), 'quorum');
      await admin.send(queue, events(EVENTS));
      const real = await openSqliteStore({ path: join(tempDir('prefetch-window-'), 'agent.db') });
      onTestFinished(() => real.close());
      const { store, held, release } = gatedStore(real);
      const source = openAmqpSource(amqpUri(`queue=${queue}&type=quorum&prefetch=${PREFETCH}`), {
        store,
        group: 'amqp-test',
        idleMs: 20,
      });
      const counts = new Map<string, number>();
      const running = amqpAgent(store, source, counting(counts), {
        runner: { kind: 'pool', concurrency: 8 },
      }).run();

      // While the first flush is held, every delivery of the window is taken and worked...
      await expect.poll(() => held.flushes, { timeout: 20_000 }).toBeGreaterThan(0);
      await expect.poll(() => counts.size, { timeout: 20_000 }).toBe(PREFETCH);
      // ... and held unacked by the consumer: the window is full, waiting on the store alone.
      const [status] = await source.describe();
      expect(status?.depth?.unacked).toBe(PREFETCH);
      expect(counts.size).toBe(PREFETCH);

      release();
      const summary = await running;
      expect(summary.read).toBe(EVENTS);
      expect(counts.size).toBe(EVENTS);
      expect(await admin.depth(queue)).toEqual({ ready: 0, consumers: 0 });
    }, 60_000);
  },
);
