import type { AttributeValue, Bytes, Message, Offset } from '../../src/core/types.js';

export interface MessageAt {
  readonly partition?: string;
  readonly position?: string;
  readonly timestamp?: number;
  readonly raw?: Bytes;
  readonly attributes?: Readonly<Record<string, AttributeValue>>;
  readonly covers?: readonly Offset[];
}

const encoder = new TextEncoder();

/** A message at `p0@0` unless told otherwise; `raw` defaults to the payload's JSON bytes. */
export function message<T>(payload: T, at: MessageAt = {}): Message<T> {
  return {
    partition: at.partition ?? 'p0',
    position: at.position ?? '0',
    payload,
    raw: at.raw ?? encoder.encode(JSON.stringify(payload) ?? ''),
    timestamp: at.timestamp ?? 1_700_000_000_000,
    attributes: at.attributes ?? {},
    ...(at.covers === undefined ? {} : { covers: at.covers }),
  };
}

/**
 * The `i`-th message of a stream spread round-robin over `partitions` partitions: partition `p{i % n}`,
 * position `⌊i / n⌋`, payload `i`.
 */
export function nth(i: number, partitions = 3): Message<number> {
  return message(i, {
    partition: `p${i % partitions}`,
    position: String(Math.floor(i / partitions)),
    timestamp: 1_700_000_000_000 + i,
  });
}

/** `partition@position`, for comparing offsets as strings. */
export function offsetKey(offset: Offset): string {
  return `${offset.partition}@${offset.position}`;
}
