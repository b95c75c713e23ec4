import { UsageError } from '../../errors/usage-error.js';
import { END_OF_PARTITION, type Position } from '../../types.js';

/**
 * A Kinesis position: `"<sequenceNumber>"` for a plain record, `"<sequenceNumber>:<subSequence>"` for a
 * user record de-aggregated from a KPL aggregate (its index inside the aggregate, as the KCL numbers it).
 */
export interface KinesisPosition {
  readonly sequence: string;
  readonly sub?: number;
}

const FORM = /^(\d{1,128})(?::(\d{1,9}))?$/;

/** @throws UsageError for anything that is not a sequence number with an optional subsequence. */
export function parseKinesisPosition(position: Position): KinesisPosition {
  const match = FORM.exec(position);
  if (match === null) {
    throw new UsageError(`"${position}" is not a Kinesis position`, {
      hint: 'a Kinesis position is a sequence number, optionally followed by :SUBSEQUENCE (e.g. 4959…:3)',
    });
  }
  return match[2] === undefined ? { sequence: match[1]! } : { sequence: match[1]!, sub: Number(match[2]) };
}

export function formatKinesisPosition(sequence: string, sub?: number): Position {
  return sub === undefined ? sequence : `${sequence}:${sub}`;
}

/**
 * Orders two positions of one shard: by sequence number (as big integers), then by subsequence, a plain
 * record before any subsequence of the same sequence. `END` (a finished shard) comes after everything.
 */
export function compareKinesisPositions(a: Position, b: Position): number {
  if (a === b) return 0;
  if (a === END_OF_PARTITION) return 1;
  if (b === END_OF_PARTITION) return -1;
  const x = parseKinesisPosition(a);
  const y = parseKinesisPosition(b);
  if (x.sequence !== y.sequence) {
    const d = BigInt(x.sequence) - BigInt(y.sequence);
    if (d !== 0n) return d < 0n ? -1 : 1;
  }
  return (x.sub ?? -1) - (y.sub ?? -1);
}
