import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openSqliteStore } from '../../../src/core/store/sqlite/sqlite-state-store.js';
import { tempDir } from '../../support/temp.js';

const request = { group: 'orders', source: 'local:events', partition: '0', owner: 'agent-1', ttlMs: 10_000 };

async function storeWithLockedWriter() {
  const path = join(tempDir('lease-renew-'), 'agent.db');
  const store = await openSqliteStore({ path, busyTimeoutMs: 30_000 });
  onTestFinished(() => store.close());
  await store.log.ensureTopic('events', 1);
  const lease = await store.leases.acquire(request);
  const other = new Database(path);
  onTestFinished(() => {
    other.close();
  });
  other.exec('BEGIN IMMEDIATE');
  // More records than an in-place write takes: the append goes to the writer thread, which waits.
  const appended = store.log.append(
    'events',
    Array.from({ length: 300 }, (_, i) => ({ value: Buffer.from(`{"n":${i}}`) })),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return { store, lease: lease!, other, appended };
}

describe('SqliteLeaseStore renew while the writer thread waits for the lock', () => {
  it('Given a log append queued on the writer thread behind a lock another connection holds, When the owner renews its lease, Then the event loop keeps running, and the lease is extended once the lock is free', async () => {
    const { store, lease, other, appended } = await storeWithLockedWriter();
    let settled = false;
    const renewed = store.leases.renew(lease, 60_000).finally(() => {
      settled = true;
    });
    // On the caller's connection the renewal would hold the event loop in SQLite's busy handler here.
    await new Promise((resolve) => setImmediate(resolve));
    const pendingWhileLocked = !settled;
    other.exec('COMMIT');

    expect(pendingWhileLocked).toBe(true);
    expect((await appended).length).toBe(300);
    const after = await renewed;
    expect(after).toMatchObject({ owner: 'agent-1', counter: lease.counter, partition: '0' });
    expect(after!.expiresAt).toBeGreaterThanOrEqual(lease.expiresAt + 50_000);
    const [stored] = await store.leases.list('orders', 'local:events');
    expect(stored).toEqual(after);
  });

  it('Given the lease was taken over, When the old owner renews it through the writer thread, Then it is told the lease is lost and the new owner keeps it', async () => {
    const { store, lease, other, appended } = await storeWithLockedWriter();
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
