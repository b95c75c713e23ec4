import type { Effort } from '../model/effort.js';
import type { Bytes } from '../types.js';

/** A record to deliver to a sink. */
export interface PublishRecord {
  /** Stable id, the idempotency key downstream (a run id, or run id + suffix). */
  readonly id: string;
  /** Partition key (Kinesis) or routing key (AMQP); records with one key keep their order. */
  readonly key?: string;
  readonly value: Bytes;
  readonly headers?: Readonly<Record<string, string>>;
  readonly timestamp: number;
  readonly runId?: string;
  /** Where the event that produced the record came from (kept when the record is parked). */
  readonly origin?: { readonly source: string; readonly partition: string; readonly position: string };
}

/**
 * Per-record result of a batch send: the indexes (into the records given) that failed, with their
 * errors. Every other record was delivered.
 */
export interface SendResult {
  readonly failures: ReadonlyMap<number, unknown>;
}

export const ALL_DELIVERED: SendResult = { failures: new Map() };

/**
 * Told of one record's outcome (by its index into the records given to `send`) as soon as the sink
 * knows it, before `send` resolves: `failure` is `undefined` for a delivered record. A sink calls it at
 * most once per record, and only while `send` is under way; `send`'s result still reports every failure.
 */
export type SendProgress = (index: number, failure: unknown) => void;

/**
 * A destination for records: the local log, an NDJSON file or stdout, Kinesis, AMQP. `send` delivers a
 * batch; it throws when the whole batch failed, and reports records that failed inside a partly failed
 * batch in `failures` (only those are retried). A sink whose records settle one by one (AMQP confirms)
 * may also report each outcome through `progress` as it comes, so the caller can act on the first records
 * of a large batch without waiting for its last.
 */
export interface Sink {
  /** Display name, also the key of the status board, e.g. `local:results`, `stdout`. */
  readonly name: string;
  /** Largest batch `send` accepts (records). */
  readonly maxBatch: number;
  /** Largest batch `send` accepts (bytes of values), when the sink has such a limit. */
  readonly maxBatchBytes?: number;
  send(records: readonly PublishRecord[], signal?: AbortSignal, progress?: SendProgress): Promise<SendResult>;
  close(): Promise<void>;
}

/**
 * Publishes records with retries. The returned effort has culminated: `delivered`, or `parked` (in the
 * failed store, through the journal) when retries ran out or the sink is disabled. Never rejects for a
 * delivery failure; rejects only when `signal` aborts before the effort culminated.
 */
export interface Publisher {
  readonly sink: string;
  publish(record: PublishRecord, signal?: AbortSignal): Promise<Effort>;
  close(): Promise<void>;
}
