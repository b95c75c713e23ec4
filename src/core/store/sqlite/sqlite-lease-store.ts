import { assertLeaseOwner, assertLeaseTtl } from '../lease-checks.js';
import type { Lease } from '../records.js';
import { type LeaseRow, toLease } from '../rows/lease-row.js';
import type { LeaseRequest, LeaseStore } from '../state-store.js';
import type { SqliteConnection } from './sqlite-connection.js';
import type { SqliteWriter } from './sqlite-writer.js';

const KEY = 'group_name = @group AND source = @source AND partition = @partition';
const RENEW = `UPDATE leases SET expires_at = @expiresAt, renewed_at = @now
  WHERE ${KEY} AND owner = @owner AND owner <> '' AND counter = @counter`;

/**
 * Partition leases with fencing counters. Expiry is judged by the store clock. The counter changes only
 * when the owner changes (a new row starts at 1), so a lease that expired but was not taken by anyone
 * else can still be renewed, or re-acquired, by its owner with the same counter: no one else could have
 * written under another fence in the meantime.
 */
export class SqliteLeaseStore implements LeaseStore {
  /** `writer`: the store's writer thread, which takes a renewal while it writes for us (see `renew`). */
  constructor(
    private readonly connection: SqliteConnection,
    private readonly writer?: SqliteWriter,
  ) {}

  list(group: string | undefined, source: string): Promise<Lease[]> {
    return this.connection.call(() => {
      const rows = (
        group === undefined
          ? this.connection
              .statement('SELECT * FROM leases WHERE source = ? ORDER BY group_name, partition')
              .all(source)
          : this.connection
              .statement('SELECT * FROM leases WHERE group_name = ? AND source = ? ORDER BY partition')
              .all(group, source)
      ) as LeaseRow[];
      return rows.map(toLease);
    });
  }

  acquire(request: LeaseRequest): Promise<Lease | undefined> {
    return this.connection.call(() => {
      assertLeaseOwner(request.owner);
      assertLeaseTtl(request.ttlMs);
      const key = { group: request.group, source: request.source, partition: request.partition };
      return this.connection.immediate(() => {
        const now = this.connection.clock.now();
        const held = this.connection.statement(`SELECT * FROM leases WHERE ${KEY}`).get(key) as
          | LeaseRow
          | undefined;
        if (
          held !== undefined &&
          held.owner !== request.owner &&
          held.owner !== '' &&
          held.expires_at > now &&
          !(held.owner === request.takeFrom?.owner && held.counter === request.takeFrom.counter)
        ) {
          return undefined;
        }
        const sameOwner = held !== undefined && held.owner === request.owner;
        const row = this.connection
          .statement(
            `INSERT INTO leases (group_name, source, partition, owner, counter, expires_at, acquired_at, renewed_at)
             VALUES (@group, @source, @partition, @owner, @counter, @expiresAt, @acquiredAt, @now)
             ON CONFLICT (group_name, source, partition) DO UPDATE SET
               owner = excluded.owner, counter = excluded.counter, expires_at = excluded.expires_at,
               acquired_at = excluded.acquired_at, renewed_at = excluded.renewed_at
             RETURNING *`,
          )
          .get({
            ...key,
            owner: request.owner,
            counter: held === undefined ? 1 : sameOwner ? held.counter : held.counter + 1,
            expiresAt: now + request.ttlMs,
            acquiredAt: sameOwner ? held.acquired_at : now,
            now,
          }) as LeaseRow;
        return toLease(row);
      });
    });
  }

  /**
   * Extends the lease if it is still this owner's under this fence. While the writer thread has flushes of
   * this process to apply, the renewal is queued behind them there, as a heartbeat is: on this connection
   * it would wait for their write lock in SQLite's busy handler, with the event loop (measured on the
   * Kinesis bench: 0.36–0.45 s of a 100k-record run). The renewed lease is then the one sent, with the
   * times it was written with; a renewal that changed no row lost the lease.
   */
  async renew(lease: Lease, ttlMs: number): Promise<Lease | undefined> {
    assertLeaseTtl(ttlMs);
    const now = this.connection.clock.now();
    const params = { ...fenceOf(lease), expiresAt: now + ttlMs, now };
    const behind = this.writer?.writeBehind(RENEW, params);
    if (behind === undefined) {
      return this.connection.call(() => {
        const row = this.connection.statement(`${RENEW} RETURNING *`).get(params) as LeaseRow | undefined;
        return row === undefined ? undefined : toLease(row);
      });
    }
    const changes = await behind.catch((error: unknown) => {
      throw this.connection.translate(error);
    });
    return changes === 1 ? { ...lease, expiresAt: now + ttlMs, renewedAt: now } : undefined;
  }

  release(lease: Lease): Promise<void> {
    return this.connection.call(() => {
      this.connection
        .statement(
          `UPDATE leases SET owner = '', expires_at = 0
           WHERE ${KEY} AND owner = @owner AND owner <> '' AND counter = @counter`,
        )
        .run(fenceOf(lease));
    });
  }
}

function fenceOf(lease: Lease) {
  return {
    group: lease.group,
    source: lease.source,
    partition: lease.partition,
    owner: lease.owner,
    counter: lease.counter,
  };
}
