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

/** Ids whose random part is made at a time. */
const POOL = 4096;
/** Characters of one id's random part: `xxx-vxxx-xxxxxxxxxxxx` (v the variant digit, 8 to b). */
const TAIL = 21;
const DIGITS = [48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 97, 98, 99, 100, 101, 102]; // 0-9a-f
const DASH = 45;
const random = new Uint8Array(POOL * 10);
const text = Buffer.alloc(POOL * TAIL);
/** The random parts of the next `POOL` ids, one after the other, and how many of them were used. */
let tails = '';
let used = POOL;

/** Makes the random parts of the next `POOL` ids: 74 random bits each, in one string. */
function refill(): void {
  randomFillSync(random);
  let at = 0;
  const digit = (value: number) => {
    text[at++] = DIGITS[value]!;
  };
  for (let id = 0; id < POOL; id++) {
    const r = id * 10;
    digit(random[r]! >> 4); // rand_a: 12 bits
    digit(random[r]! & 15);
    digit(random[r + 1]! & 15);
    text[at++] = DASH;
    digit(8 | (random[r + 2]! & 3)); // variant 10, then 62 bits of rand_b
    digit(random[r + 2]! >> 4);
    for (let b = r + 3; b < r + 10; b++) {
      if (b === r + 4) text[at++] = DASH;
      digit(random[b]! >> 4);
      digit(random[b]! & 15);
    }
  }
  tails = text.toString('latin1');
  used = 0;
}

/**
 * A new effort id: a UUIDv7 (RFC 9562), the first 48 bits `ms`, the version 7, the variant `10`, the other
 * 74 bits random (from `crypto.randomFillSync`). Efforts are stored under their id, so ids that grow with
 * time append to the store's index instead of landing at random places in it (random v4 ids made every
 * effort write a random B-tree insert). A publisher makes one per record, mostly many within one
 * millisecond: the time part is formatted once per millisecond, and the random parts of 4,096 ids at a
 * time in one string, which each id takes two short copies of (no `randomUUID` string per id to cut up,
 * no long chain of concatenations per id, and no id holding on to the shared string).
 */
export function timeOrderedUuid(ms: number): string {
  const whole = Math.max(0, Math.floor(ms));
  if (whole !== lastMs) {
    const time = whole.toString(16).padStart(12, '0').slice(-12);
    lastPrefix = `${time.slice(0, 8)}-${time.slice(8)}-7`;
    lastMs = whole;
  }
  if (used === POOL) refill();
  const at = used++ * TAIL;
  // Slices shorter than 13 characters are copies in V8, not views of `tails`.
  return lastPrefix + tails.slice(at, at + 9) + tails.slice(at + 9, at + TAIL);
}
