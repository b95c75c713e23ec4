import type { LogRecord } from '../records.js';

/**
 * Log values are read as `encode(value, 'escape')` rather than in bytea's hex output: there, a byte that
 * is NUL or has its high bit set is `\ooo` (three octal digits), a backslash is `\\`, and every other byte
 * is itself. A value that is plain ASCII (most JSON) thus travels as its own text — half the bytes of hex,
 * and nothing to decode on either side — and its record gets that text, as SQLite's reads give it.
 */
export const ESCAPED_VALUE = (column: string) => `encode(${column}, 'escape')`;

/** A row of a log read with its value escaped (see `ESCAPED_VALUE`): offset, key, timestamp, value. */
export type EscapedRecordRow = [number, string | null, number, string];

const BACKSLASH = 0x5c;
const ZERO = 0x30;

/** The record of one row. A value holding no backslash is ASCII: its text is the escaped form itself. */
export function escapedRecord(
  topic: string,
  partition: number,
  offset: number,
  key: string | null,
  timestamp: number,
  escaped: string,
): LogRecord {
  if (!escaped.includes('\\')) {
    return { topic, partition, offset, key, timestamp, value: Buffer.from(escaped, 'latin1'), text: escaped };
  }
  return { topic, partition, offset, key, timestamp, value: unescapeValue(escaped) };
}

/** The bytes of an escaped value (see `ESCAPED_VALUE`). */
export function unescapeValue(escaped: string): Buffer {
  const out = Buffer.allocUnsafe(escaped.length);
  let n = 0;
  for (let i = 0; i < escaped.length; ) {
    const c = escaped.charCodeAt(i);
    if (c !== BACKSLASH) {
      out[n++] = c;
      i += 1;
    } else if (escaped.charCodeAt(i + 1) === BACKSLASH) {
      out[n++] = BACKSLASH;
      i += 2;
    } else {
      const digit = (at: number) => escaped.charCodeAt(i + at) - ZERO;
      out[n++] = (digit(1) << 6) | (digit(2) << 3) | digit(3);
      i += 4;
    }
  }
  return out.subarray(0, n);
}
