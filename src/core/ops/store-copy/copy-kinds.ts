/** What a copy moves, kind by kind, and how each part reports what it did (see `copyStore`). */

/** What a copy moves, in the order it moves it. */
export const COPY_KINDS = [
  'topics',
  'log',
  'failed',
  'runs',
  'ledger',
  'efforts',
  'agents',
  'control',
  'checkpoints',
] as const;
export type CopyKind = (typeof COPY_KINDS)[number];

export interface CopyCount {
  /** Written to the target by this copy. */
  readonly copied: number;
  /** Already in the target (an earlier copy, or the target's own), left as they were. */
  readonly skipped: number;
}

/** Adds to a kind's count (and reports the progress). */
export type Tally = (kind: CopyKind, copied: number, skipped: number) => void;

/** Items read or written per call. */
export const PAGE = 500;

/** A `StateStore.flush` batch with nothing in it: a part fills in the one list it writes. */
export const EMPTY_BATCH = { runs: [], ledger: [], efforts: [], parked: [] } as const;
