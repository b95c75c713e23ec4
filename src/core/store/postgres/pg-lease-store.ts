import { assertLeaseOwner, assertLeaseTtl } from '../lease-checks.js';
import type { Lease } from '../records.js';
import { type LeaseRow, toLease } from '../rows/lease-row.js';
import type { LeaseRequest, LeaseStore } from '../state-store.js';
import { NOW_MS, type PgConnection } from './pg-connection.js';

const KEY = 'group_name = $1 AND source = $2 AND partition = $3';

/**
 * Partition leases with fencing counters, shared by agents on many hosts. Expiry is judged by the
 * database clock alone (`NOW_MS`), never by a client's: two hosts whose clocks disagree still agree on
 * whether a lease has expired, so clock skew cannot give a partition two owners. Each call is one
 * statement; `acquire` is an upsert whose conflict branch locks the row and re-checks the holder on its
 * latest version, so of owners racing for a partition exactly one wins. The counter changes only when
 * the owner changes (a new row starts at 1), so a lease that expired but was not taken by anyone else can
 * still be renewed, or re-acquired, by its owner with the same counter: no one else could have written
 * under another fence in the meantime.
 */
export class PgLeaseStore implements LeaseStore {
  constructor(private readonly connection: PgConnection) {}

  async list(group: string | undefined, source: string): Promise<Lease[]> {
    const leases = this.connection.table('leases');
    const rows =
      group === undefined
        ? await this.connection.query<LeaseRow>(
            `SELECT * FROM ${leases} WHERE source = $1 ORDER BY group_name, partition`,
            [source],
          )
        : await this.connection.query<LeaseRow>(
            `SELECT * FROM ${leases} WHERE group_name = $1 AND source = $2 ORDER BY partition`,
            [group, source],
          );
    return rows.map(toLease);
  }

  async acquire(request: LeaseRequest): Promise<Lease | undefined> {
    assertLeaseOwner(request.owner);
    assertLeaseTtl(request.ttlMs);
    const [row] = await this.connection.query<LeaseRow>(
      `INSERT INTO ${this.connection.table('leases')} AS l
         (group_name, source, partition, owner, counter, expires_at, acquired_at, renewed_at)
       SELECT $1, $2, $3, $4, 1, now.ms + $5, now.ms, now.ms FROM (SELECT ${NOW_MS} AS ms) AS now
       ON CONFLICT (group_name, source, partition) DO UPDATE SET
         owner = excluded.owner,
         counter = CASE WHEN l.owner = excluded.owner THEN l.counter ELSE l.counter + 1 END,
         expires_at = excluded.expires_at,
         acquired_at = CASE WHEN l.owner = excluded.owner THEN l.acquired_at ELSE excluded.acquired_at END,
         renewed_at = excluded.renewed_at
       WHERE l.owner = excluded.owner OR l.owner = '' OR l.expires_at <= excluded.renewed_at
         OR (l.owner = $6 AND l.counter = $7)
       RETURNING *`,
      [
        request.group,
        request.source,
        request.partition,
        request.owner,
        Math.ceil(request.ttlMs),
        request.takeFrom?.owner ?? null,
        request.takeFrom?.counter ?? null,
      ],
      'agentctl_lease_acquire',
    );
    return row === undefined ? undefined : toLease(row);
  }

  async renew(lease: Lease, ttlMs: number): Promise<Lease | undefined> {
    assertLeaseTtl(ttlMs);
    const [row] = await this.connection.query<LeaseRow>(
      `UPDATE ${this.connection.table('leases')}
       SET expires_at = ${NOW_MS} + $6, renewed_at = ${NOW_MS}
       WHERE ${KEY} AND owner = $4 AND owner <> '' AND counter = $5
       RETURNING *`,
      [...fenceOf(lease), Math.ceil(ttlMs)],
      'agentctl_lease_renew',
    );
    return row === undefined ? undefined : toLease(row);
  }

  async release(lease: Lease): Promise<void> {
    await this.connection.run(
      `UPDATE ${this.connection.table('leases')} SET owner = '', expires_at = 0
       WHERE ${KEY} AND owner = $4 AND owner <> '' AND counter = $5`,
      fenceOf(lease),
    );
  }
}

function fenceOf(lease: Lease): [string, string, string, string, number] {
  return [lease.group, lease.source, lease.partition, lease.owner, lease.counter];
}
