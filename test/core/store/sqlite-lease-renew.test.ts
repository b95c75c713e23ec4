import { describe, expect, it } from 'vitest';
import { storeWithLockedWriter, whileLocked } from './locked-writer.js';

const request = { group: 'orders', source: 'local:events', partition: '0', owner: 'agent-1', ttlMs: 10_000 };

async function lockedWithLease() {
  const { store, other, appended, prepared } = await storeWithLockedWriter('lease-renew-', (s) =>
    s.leases.acquire(request),
  );
  return { store, lease: prepared!, other, appended };
}

describe('SqliteLeaseStore renew while the writer thread waits for the lock', () => {
  it('Given a log append queued on the writer thread behind a lock another connection holds, When the owner renews its lease, Then the event loop keeps running, and the lease is extended once the lock is free', async () => {
    const { store, lease, other, appended } = await lockedWithLease();
    const { pendingWhileLocked, result: renewed } = await whileLocked(other, () =>
      store.leases.renew(lease, 60_000),
    );

    expect(pendingWhileLocked).toBe(true);
    expect((await appended).length).toBe(300);
    const after = await renewed;
    expect(after).toMatchObject({ owner: 'agent-1', counter: lease.counter, partition: '0' });
    expect(after!.expiresAt).toBeGreaterThanOrEqual(lease.expiresAt + 50_000);
    const [stored] = await store.leases.list('orders', 'local:events');
    expect(stored).toEqual(after);
  });

  it('Given the lease was taken over, When the old owner renews it through the writer thread, Then it is told the lease is lost and the new owner keeps it', async () => {
    const { store, lease, other, appended } = await lockedWithLease();
    other.exec('COMMIT');
    await appended;
    const taken = await store.leases.acquire({
      ...request,
      owner: 'agent-2',
      takeFrom: { owner: 'agent-1', counter: lease.counter },
    });
    other.exec('BEGIN IMMEDIATE');
    const again = store.log.append(
      'events',
      Array.from({ length: 300 }, () => ({ value: Buffer.from('{}') })),
    );
    await new Promise((resolve) => setImmediate(resolve));
    const renewed = store.leases.renew(lease, 60_000);
    other.exec('COMMIT');
    await again;

    expect(await renewed).toBeUndefined();
    expect(await store.leases.list('orders', 'local:events')).toEqual([taken]);
  });
});
