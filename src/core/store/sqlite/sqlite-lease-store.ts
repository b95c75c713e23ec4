import { assertLeaseOwner, assertLeaseTtl } from '../lease-checks.js';
import type { Lease } from '../records.js';
import { type LeaseRow, toLease } from '../rows/lease-row.js';
import type { LeaseRequest, LeaseStore } from '../state-store.js';
import type { SqliteConnection } from './sqlite-connection.js';

const KEY = 'group_name = @group AND source = @source AND partition = @partition';

/**
 * Partition leases with fencing counters. Expiry is judged by the store clock. The counter changes only
 * when the owner changes (a new row starts at 1), so a lease that expired but was not taken by anyone
 * else can still be renewed, or re-acquired, by its owner with the same counter: no one else could have
 * written under another fence in the meantime.
 */
export class SqliteLeaseStore implements LeaseStore {
  constructor(private readonly connection: SqliteConnection) {}

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

  renew(lease: Lease, ttlMs: number): Promise<Lease | undefined> {
    return this.connection.call(() => {
      assertLeaseTtl(ttlMs);
      const now = this.connection.clock.now();
      const row = this.connection
        .statement(
          `UPDATE leases SET expires_at = @expiresAt, renewed_at = @now
           WHERE ${KEY} AND owner = @owner AND owner <> '' AND counter = @counter
           RETURNING *`,
        )
        .get({ ...fenceOf(lease), expiresAt: now + ttlMs, now }) as LeaseRow | undefined;
      return row === undefined ? undefined : toLease(row);
    });
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
