import { UsageError } from '../../errors/usage-error.js';
import { parseIsoTime } from '../../time-argument.js';
import type { Partition, Position } from '../../types.js';

/** Where `peek` starts in each partition (`--from`). */
export type PeekStart =
  | { readonly kind: 'earliest' }
  | { readonly kind: 'latest' }
  /** After the group's checkpoint (from the earliest record where there is none). */
  | { readonly kind: 'checkpoint' }
  /** At this position (included). */
  | { readonly kind: 'position'; readonly position: Position }
  /** At the first record stored at or after this time (ms since the epoch). */
  | { readonly kind: 'time'; readonly ms: number };

/** Where `peek` stops in each partition (`--to`, included). */
export type PeekEnd =
  | { readonly kind: 'position'; readonly position: Position }
  | { readonly kind: 'time'; readonly ms: number };

/** `--around-checkpoint`: records before and after each partition's checkpoint. */
export interface AroundCheckpoint {
  /** Records at and before the checkpoint (done), per partition. */
  readonly before: number;
  /** Records after it (the first one is the first not done), per partition. */
  readonly after: number;
}

const UNITS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const FROM_HINT =
  'give earliest, latest, checkpoint, a position (an offset, a sequence number), an ISO time (2025-01-31T12:00:00Z) or a duration back from now (-15m, -2h, -1d)';

/** A time argument: an ISO time or `-DURATION` before `now`; undefined when `text` is neither. */
function timeOf(text: string, now: number): number | undefined {
  const ago = /^-(\d+)(ms|s|m|h|d)$/.exec(text);
  if (ago !== null) return now - Number(ago[1]) * UNITS[ago[2] as keyof typeof UNITS];
  return parseIsoTime(text);
}

/**
 * Reads `--from`: `earliest`, `latest`, `checkpoint`, a time (ISO or `-DURATION`), else a position (any
 * other text without spaces, checked by the source). @throws UsageError for an empty or spaced value.
 */
export function parsePeekStart(text: string, now: number): PeekStart {
  const value = text.trim();
  if (value === 'earliest' || value === 'latest' || value === 'checkpoint') return { kind: value };
  const ms = timeOf(value, now);
  if (ms !== undefined) return { kind: 'time', ms };
  if (/^-\d/.test(value) || value === '' || /\s/.test(value)) {
    throw new UsageError(`--from "${text}" is not a start`, { hint: FROM_HINT });
  }
  return { kind: 'position', position: value };
}

/** Reads `--to`: a time (ISO or `-DURATION`) or a position. @throws UsageError as `parsePeekStart`. */
export function parsePeekEnd(text: string, now: number): PeekEnd {
  const value = text.trim();
  const ms = timeOf(value, now);
  if (ms !== undefined) return { kind: 'time', ms };
  if (/^-\d/.test(value) || value === '' || /\s/.test(value)) {
    throw new UsageError(`--to "${text}" is not an end`, {
      hint: 'give a position, an ISO time or a duration back from now (-5m)',
    });
  }
  return { kind: 'position', position: value };
}

/** What to read: the flags of `peek`, parsed. */
export interface PeekRequest {
  readonly start: PeekStart;
  readonly end?: PeekEnd;
  /** Only these partitions (all when undefined). */
  readonly partitions?: readonly Partition[];
  /** Only records with this partition (or routing) key. */
  readonly key?: string;
  /** Most records to yield (after filtering); undefined for no limit. */
  readonly limit?: number;
  /** Keep reading at the end of data (until the signal aborts) instead of ending. */
  readonly follow?: boolean;
  /** Replaces `start`, `end` and `limit`: see `AroundCheckpoint`. */
  readonly around?: AroundCheckpoint;
}
