import type { Bytes } from '../../types.js';
import type { LogRecord } from '../records.js';

/**
 * A row of a log read in array form (no object per row in the driver): offset, key, timestamp, value.
 * Both adapters select these four columns in this order; offsets and times come as numbers.
 */
export type LogRecordRow = [number, string | null, number, Bytes];

/** The records of one topic partition that `rows` hold, in the rows' order. */
export function toLogRecords(topic: string, partition: number, rows: readonly LogRecordRow[]): LogRecord[] {
  const records = new Array<LogRecord>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const [offset, key, timestamp, value] = rows[i]!;
    records[i] = { topic, partition, offset, key, timestamp, value };
  }
  return records;
}
