import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { systemClock } from '../../../src/core/clock.js';
import { LeaseAssignor } from '../../../src/core/consumer/lease-assignor.js';
import { MemorySource } from '../../../src/core/sources/memory-source.js';
import { openSqliteStore } from '../../../src/core/store/sqlite/sqlite-state-store.js';
import { tempDir } from '../../support/temp.js';

async function setup() {
  const store = await openSqliteStore({ path: join(tempDir('lease-assignor-'), 'agent.db') });
  const source = new MemorySource({ partitions: 2, coordination: 'leases' });
  let listings = 0;
  const list = source.partitions.bind(source);
  source.partitions = () => {
    listings++;
    return list();
  };
  const assignor = new LeaseAssignor({ source, store, group: 'g', owner: 'me', clock: systemClock });
  const controller = new AbortController();
  onTestFinished(async () => {
    controller.abort();
    await assignor.stop();
    await store.close();
  });
  return { assignor, signal: controller.signal, listings: () => listings };
}

describe('Lease assignor start', () => {
  it('Given the partitions the source listed while connecting, When the assignor starts, Then its first discovery uses them: no listing of its own, and their leases are taken', async () => {
    const { assignor, signal, listings } = await setup();

    await assignor.start(signal, [{ id: '0' }, { id: '1' }]);

    expect(listings()).toBe(0);
    expect(assignor.takeChanges().assigned).toEqual(['0', '1']);
  });

  it('Given no listing from connecting, When the assignor starts, Then it lists the partitions itself', async () => {
    const { assignor, signal, listings } = await setup();

    await assignor.start(signal);

    expect(listings()).toBe(1);
    expect(assignor.takeChanges().assigned).toEqual(['0', '1']);
  });
});
