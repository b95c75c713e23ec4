import type { Lease } from '../records.js';

/** A `leases` row as both adapters hand it over (counter and times as numbers). */
export interface LeaseRow {
  group_name: string;
  source: string;
  partition: string;
  owner: string;
  counter: number;
  expires_at: number;
  acquired_at: number;
  renewed_at: number;
}

/** The lease a row holds (an empty owner is a released lease, kept as it is). */
export function toLease(row: LeaseRow): Lease {
  return {
    group: row.group_name,
    source: row.source,
    partition: row.partition,
    owner: row.owner,
    counter: row.counter,
    expiresAt: row.expires_at,
    acquiredAt: row.acquired_at,
    renewedAt: row.renewed_at,
  };
}
