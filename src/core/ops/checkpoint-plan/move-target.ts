import { UsageError } from '../../errors/usage-error.js';
import { parseIsoTime, parseTimeArgument } from '../../time-argument.js';
import type { Position } from '../../types.js';

/** Where an operator moves checkpoints to (`checkpoint set|reset`, the console). */
export type MoveTarget =
  /** No checkpoint: the partition is read from its start next time. */
  | { readonly kind: 'earliest' }
  /** The source's latest position: what is there now is skipped. */
  | { readonly kind: 'latest' }
  /** This position: everything at or before it counts as done. */
  | { readonly kind: 'position'; readonly position: Position }
  /** Just before the first record stored at or after this time (ms since the epoch): it is read next. */
  | { readonly kind: 'time'; readonly ms: number }
  /** `by` records later (skipped) or, when negative, earlier (read again) than the checkpoint. */
  | { readonly kind: 'shift'; readonly by: number };

/** The move flags of `checkpoint set`, as given. */
export interface MoveFlags {
  readonly toTime?: string;
  readonly shiftBy?: string;
  /** `earliest`, `latest` or a position. */
  readonly to?: string;
  /** The older spelling of `--to POSITION`. */
  readonly position?: string;
}

const ONE_OF = 'give one of --to-time T|-DURATION, --shift-by ±N, --to earliest|latest|POSITION';

/**
 * The target the flags name: exactly one of them.
 * @throws UsageError for none, several, a time that is not one, or a shift that is not a whole number.
 */
export function parseMoveTarget(flags: MoveFlags, now: number): MoveTarget {
  const given = (
    [
      ['--to-time', flags.toTime],
      ['--shift-by', flags.shiftBy],
      ['--to', flags.to],
      ['--position', flags.position],
    ] as const
  ).filter(([, value]) => value !== undefined);
  if (given.length !== 1) {
    const which = given.length === 0 ? 'no target' : `${given.map(([flag]) => flag).join(' and ')} together`;
    throw new UsageError(`checkpoint set: ${which}; it takes exactly one`, { hint: ONE_OF });
  }
  const [flag, raw] = given[0]!;
  const value = raw!.trim();
  if (flag === '--to-time') return { kind: 'time', ms: timeOf(value, now) };
  if (flag === '--shift-by') {
    if (!/^[+-]?\d{1,15}$/.test(value)) {
      throw new UsageError(`--shift-by "${raw}" is not a whole number of records`, {
        hint: 'give +N to skip N records, -N to read N records again (--shift-by=-100)',
      });
    }
    return { kind: 'shift', by: Number(value) };
  }
  if (value === 'earliest' || value === 'latest') return { kind: value };
  if (value === '' || /\s/.test(value)) {
    throw new UsageError(`${flag} "${raw}" is not a position`, { hint: ONE_OF });
  }
  return { kind: 'position', position: value };
}

/** `--to-time`: an ISO time, or a duration back from now (`-15m`, `2h`). */
function timeOf(text: string, now: number): number {
  const iso = parseIsoTime(text);
  if (iso !== undefined) return iso;
  return parseTimeArgument(text.replace(/^-/, ''), now);
}

/** The target as the flag that names it, for plans and the history (`--to-time 2025-01-31T12:00:00.000Z`). */
export function describeTarget(target: MoveTarget): string {
  switch (target.kind) {
    case 'earliest':
    case 'latest':
      return `--to ${target.kind}`;
    case 'position':
      return `--to ${target.position}`;
    case 'time':
      return `--to-time ${new Date(target.ms).toISOString()}`;
    case 'shift':
      return `--shift-by ${target.by > 0 ? '+' : ''}${target.by}`;
  }
}
