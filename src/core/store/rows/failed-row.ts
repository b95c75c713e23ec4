import type { FailureReason } from '../../types.js';
import type {
  FailedKind,
  FailedMessage,
  FailedStatus,
  FailureAttempt,
  NewFailedMessage,
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
