import { randomFillSync } from 'node:crypto';

/** How an effort ended: delivered, or parked in the failed store after retries ran out. */
export type Culmination = 'pending' | 'delivered' | 'parked';

/** One try at delivering a record to a sink. */
export interface PublishAttempt {
  readonly attempt: number;
  readonly at: number;
  readonly durationMs: number;
  readonly ok: boolean;
  readonly error?: string;
}

/**
 * Everything that happened while publishing one record: every attempt in order, how many were retries,
 * and the outcome. Mutable while the effort is under way.
 */
export interface Effort {
  readonly id: string;
  readonly sink: string;
  /** The published record's id (idempotency key downstream). */
  readonly recordId: string;
  readonly runId?: string;
  readonly createdAt: number;
  attempts: number;
  retries: number;
  initialAttempt?: PublishAttempt;
  finalAttempt?: PublishAttempt;
  history: PublishAttempt[];
  culmination: Culmination;
  /** When the next attempt is due, while waiting for it. */
  nextAttemptAt?: number;
  lastError?: string;
  updatedAt: number;
}

/** The time part of the last id made, kept while ids are made within one millisecond. */
let lastMs = -1;
let lastPrefix = '';

/** Two lowercase hex digits per byte value. */
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));
/** Random bytes for the ids, filled a pool at a time (10 bytes per id); `used` of them are spent. */
const pool = new Uint8Array(10 * 4096);
let used = pool.length;

/**
 * A new effort id: a UUIDv7 (RFC 9562), the first 48 bits `ms`, the version 7, the variant `10`, the other
 * 74 bits random (from `crypto.randomFillSync`). Efforts are stored under their id, so ids that grow with
 * time append to the store's index instead of landing at random places in it (random v4 ids made every
 * effort write a random B-tree insert). A publisher makes one per record, mostly many within one
 * millisecond: the time part is formatted once per millisecond, and the random bytes are drawn for 4,096
 * ids at a time and formatted with a table (no `randomUUID` string per id to cut up).
 */
export function timeOrderedUuid(ms: number): string {
  const whole = Math.max(0, Math.floor(ms));
  if (whole !== lastMs) {
    const time = whole.toString(16).padStart(12, '0').slice(-12);
    lastPrefix = `${time.slice(0, 8)}-${time.slice(8)}-7`;
    lastMs = whole;
  }
  if (used + 10 > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  const at = used;
  used += 10;
  const b = pool;
  return (
    lastPrefix +
    HEX[b[at]!]! +
    HEX[b[at + 1]!]![1]! +
    '-' +
    HEX[(b[at + 2]! & 0x3f) | 0x80]! +
    HEX[b[at + 3]!]! +
    '-' +
    HEX[b[at + 4]!]! +
    HEX[b[at + 5]!]! +
    HEX[b[at + 6]!]! +
    HEX[b[at + 7]!]! +
    HEX[b[at + 8]!]! +
    HEX[b[at + 9]!]!
  );
}
