import type { FailureReason } from '../../types.js';
import type {
  FailedKind,
  FailedMessage,
  FailedStatus,
  FailureAttempt,
  NewFailedMessage,
  ReplayableMessage,
} from '../records.js';
import type { Writable } from './writable.js';

/**
 * A `failed_messages` row as both adapters hand it over: times and ids as numbers, `raw` as a Buffer
 * (BLOB or BYTEA), `headers` and `history` as JSON text.
 */
export interface FailedRow {
  id: number;
  key: string;
  group_name: string;
  source: string;
  partition: string;
  position: string;
  reason: FailureReason;
  kind: FailedKind;
  error: string;
  error_name: string | null;
  rule: string | null;
  process: string | null;
  run_id: string | null;
  sink: string | null;
  record_key: string | null;
  headers: string | null;
  event_id: string | null;
  event_type: string | null;
  attempts: number;
  raw: Buffer;
  timestamp: number;
  status: FailedStatus;
  first_failed_at: number;
  last_failed_at: number;
  history: string;
  replayed_at: number | null;
  sink_ref: string | null;
}

/**
 * The columns of a `FailedRow`, in the order `failedRowOf` reads them. Adapters that can hand rows over
 * as arrays select these (better-sqlite3's keyed rows cost ~3 µs more per row at 26 columns than an
 * array plus this literal).
 */
export const FAILED_COLUMNS =
  'id, key, group_name, source, partition, position, reason, kind, error, error_name, rule, process, ' +
  'run_id, sink, record_key, headers, event_id, event_type, attempts, raw, timestamp, status, ' +
  'first_failed_at, last_failed_at, history, replayed_at, sink_ref';

/** The row whose `FAILED_COLUMNS` values are `v`, in order. */
export function failedRowOf(v: readonly unknown[]): FailedRow {
  return {
    id: v[0] as number,
    key: v[1] as string,
    group_name: v[2] as string,
    source: v[3] as string,
    partition: v[4] as string,
    position: v[5] as string,
    reason: v[6] as FailureReason,
    kind: v[7] as FailedKind,
    error: v[8] as string,
    error_name: v[9] as string | null,
    rule: v[10] as string | null,
    process: v[11] as string | null,
    run_id: v[12] as string | null,
    sink: v[13] as string | null,
    record_key: v[14] as string | null,
    headers: v[15] as string | null,
    event_id: v[16] as string | null,
    event_type: v[17] as string | null,
    attempts: v[18] as number,
    raw: v[19] as Buffer,
    timestamp: v[20] as number,
    status: v[21] as FailedStatus,
    first_failed_at: v[22] as number,
    last_failed_at: v[23] as number,
    history: v[24] as string,
    replayed_at: v[25] as number | null,
    sink_ref: v[26] as string | null,
  };
}

/** The columns a `ReplayableMessage` is read from, in the order `toReplayable` reads them. */
export const REPLAYABLE_COLUMNS =
  'id, key, source, partition, position, reason, kind, run_id, sink, sink_ref, record_key, headers, raw, timestamp';

/** The replayable part of an item whose `REPLAYABLE_COLUMNS` values are `v`, in order; NULL is absent. */
export function toReplayable(v: readonly unknown[]): ReplayableMessage {
  const item: Writable<ReplayableMessage> = {
    id: v[0] as number,
    key: v[1] as string,
    source: v[2] as string,
    partition: v[3] as string,
    position: v[4] as string,
    reason: v[5] as FailureReason,
    kind: v[6] as FailedKind,
    raw: v[12] as Buffer,
    timestamp: v[13] as number,
  };
  if (v[7] !== null) item.runId = v[7] as string;
  if (v[8] !== null) item.sink = v[8] as string;
  if (v[9] !== null) item.sinkRef = v[9] as string;
  if (v[10] !== null) item.recordKey = v[10] as string;
  if (v[11] !== null) item.headers = JSON.parse(v[11] as string) as Record<string, string>;
  return item;
}

/** The parked message a row holds; SQL NULL columns are absent fields. */
export function toFailedMessage(row: FailedRow): FailedMessage {
  const message: Writable<FailedMessage> = {
    id: row.id,
    key: row.key,
    group: row.group_name,
    source: row.source,
    partition: row.partition,
    position: row.position,
    reason: row.reason,
    kind: row.kind,
    error: row.error,
    attempts: row.attempts,
    raw: row.raw,
    timestamp: row.timestamp,
    status: row.status,
    firstFailedAt: row.first_failed_at,
    lastFailedAt: row.last_failed_at,
    history: JSON.parse(row.history) as FailureAttempt[],
  };
  if (row.error_name !== null) message.errorName = row.error_name;
  if (row.rule !== null) message.rule = row.rule;
  if (row.process !== null) message.process = row.process;
  if (row.run_id !== null) message.runId = row.run_id;
  if (row.sink !== null) message.sink = row.sink;
  // `?? null`: a row read with `SELECT *` from a store of an older schema has no such column.
  if ((row.sink_ref ?? null) !== null) message.sinkRef = row.sink_ref!;
  if (row.record_key !== null) message.recordKey = row.record_key;
  if (row.headers !== null) message.headers = JSON.parse(row.headers) as Record<string, string>;
  if (row.event_id !== null) message.eventId = row.event_id;
  if (row.event_type !== null) message.eventType = row.event_type;
  if (row.replayed_at !== null) message.replayedAt = row.replayed_at;
  return message;
}

/** The history entry parking a message records: its failure, seen by `via` (default `consume`). */
export function parkingAttempt(message: NewFailedMessage): FailureAttempt {
  return { at: message.failedAt, error: message.error, via: message.via ?? 'consume' };
}
