import type { Bytes } from '../../types.js';
import type { LogRecord } from '../records.js';

/** A row of a log read with its value as text (SQLite: `CAST(value AS TEXT)`): offset, key, timestamp, text. */
export type TextRecordRow = [number, string | null, number, string | null];

/** U+FFFD, what the driver puts where a value's bytes are not valid UTF-8. */
const REPLACEMENT = '\uFFFD';

/**
 * The records of one topic partition from rows read as text. The driver turns bytes that are not valid
 * UTF-8 into U+FFFD, so a text without U+FFFD is the value's exact decoding: its record gets the text and,
 * as `value`, its UTF-8 encoding (small buffers share the pool; one buffer of its own per row costs the
 * driver more). A text with U+FFFD — invalid bytes, or a value that holds U+FFFD itself — or none has its
 * bytes read again with `bytesAt`, and its record no text.
 */
export function toTextRecords(
  topic: string,
  partition: number,
  rows: readonly TextRecordRow[],
  bytesAt: (offset: number) => Bytes,
): LogRecord[] {
  const records = new Array<LogRecord>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const [offset, key, timestamp, text] = rows[i]!;
    records[i] =
      text !== null && !text.includes(REPLACEMENT)
        ? { topic, partition, offset, key, timestamp, value: Buffer.from(text, 'utf8'), text }
        : { topic, partition, offset, key, timestamp, value: bytesAt(offset), text: undefined };
  }
  return records;
}
