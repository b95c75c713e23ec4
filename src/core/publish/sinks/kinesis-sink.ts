import {
  type KinesisClient,
  PutRecordsCommand,
  type PutRecordsRequestEntry,
  type PutRecordsResultEntry,
} from '@aws-sdk/client-kinesis';
import { FatalError } from '../../errors/fatal-error.js';
import { TransientError } from '../../errors/transient-error.js';
import { UsageError } from '../../errors/usage-error.js';
import { redactUri } from '../../redact.js';
import { kinesisStreamOf } from '../../sources/source-uri.js';
import { createKinesisClient } from '../../transports/kinesis/kinesis-client.js';
import { kinesisSettings } from '../../transports/kinesis/kinesis-settings.js';
import type { PublishRecord, SendResult, Sink } from '../publisher.js';
import type { OpenSinkOptions } from '../sink-opener.js';

export interface KinesisSinkOptions {
  readonly stream: string;
  readonly client: KinesisClient;
  /** The client was made for this sink: `close` destroys it. */
  readonly ownsClient?: boolean;
}

/** `PutRecords` limits: records per call, bytes per call (data and partition keys), bytes per record. */
const MAX_RECORDS = 500;
const MAX_REQUEST_BYTES = 5 * 1024 * 1024;
const MAX_RECORD_BYTES = 1024 * 1024;
const MAX_KEY_LENGTH = 256;

/** Per-record error codes that will not pass by retrying (the stream's KMS key is unusable). */
const PERMANENT = new Set([
  'KMSAccessDeniedException',
  'KMSDisabledException',
  'KMSInvalidStateException',
  'KMSNotFoundException',
  'KMSOptInRequired',
]);

/**
 * Writes records to a Kinesis data stream with `PutRecords`. The partition key is the record's `key`, or
 * its id when it has none, so that records of one key land on one shard in order (the publisher sends
 * one record per key at a time).
 *
 * A batch is cut into calls of at most 500 records and 5 MiB (data plus partition keys). `PutRecords`
 * succeeds or fails per record: records the response marks failed (`ProvisionedThroughputExceededException`,
 * `InternalFailure`) are reported in `SendResult.failures` and only they are retried. A call that fails
 * as a whole fails its records; `send` throws only when every call failed. A record that can never be
 * accepted (over 1 MiB, or a key over 256 characters) fails with a non-retriable error and is parked.
 */
export class KinesisSink implements Sink {
  readonly name: string;
  readonly maxBatch = MAX_RECORDS;
  readonly maxBatchBytes = MAX_REQUEST_BYTES;
  private closed = false;

  constructor(private readonly options: KinesisSinkOptions) {
    this.name = `kinesis://${options.stream}`;
  }

  async send(records: readonly PublishRecord[], signal?: AbortSignal): Promise<SendResult> {
    if (this.closed) throw new Error(`${this.name} is closed`);
    signal?.throwIfAborted();
    const failures = new Map<number, unknown>();
    const calls: { indexes: number[]; entries: PutRecordsRequestEntry[] }[] = [];
    let current: { indexes: number[]; entries: PutRecordsRequestEntry[] } | undefined;
    let bytes = 0;
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!;
      const key = record.key === undefined || record.key === '' ? record.id : record.key;
      const size = record.value.byteLength + Buffer.byteLength(key, 'utf8');
      if (key.length > MAX_KEY_LENGTH) {
        failures.set(
          i,
          new FatalError(`partition key of record ${record.id} is over ${MAX_KEY_LENGTH} characters`),
        );
        continue;
      }
      if (size > MAX_RECORD_BYTES) {
        failures.set(i, new FatalError(`record ${record.id} is ${size} bytes; Kinesis takes at most 1 MiB`));
        continue;
      }
      if (
        current === undefined ||
        current.entries.length >= MAX_RECORDS ||
        bytes + size > MAX_REQUEST_BYTES
      ) {
        current = { indexes: [], entries: [] };
        calls.push(current);
        bytes = 0;
      }
      current.indexes.push(i);
      current.entries.push({ Data: record.value, PartitionKey: key });
      bytes += size;
    }
    const refused = failures.size;
    let failedCalls = 0;
    let firstError: unknown;
    for (const call of calls) {
      try {
        const out = await this.options.client.send(
          new PutRecordsCommand({ StreamName: this.options.stream, Records: call.entries }),
          signal === undefined ? {} : { abortSignal: signal },
        );
        const results = out.Records ?? [];
        for (let j = 0; j < call.indexes.length; j++) {
          const error = recordError(results[j]);
          if (error !== undefined) failures.set(call.indexes[j]!, error);
        }
      } catch (error) {
        failedCalls++;
        firstError ??= error;
        for (const index of call.indexes) failures.set(index, error);
      }
    }
    if (calls.length > 0 && failedCalls === calls.length && refused === 0) throw firstError;
    return { failures };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.options.ownsClient) this.options.client.destroy();
  }
}

/** The error of one entry of a `PutRecords` response; `undefined` when it was written. */
function recordError(result: PutRecordsResultEntry | undefined): Error | undefined {
  if (result === undefined) return new TransientError('PutRecords returned no result for this record');
  const code = result.ErrorCode;
  if (code === undefined || code === '') return undefined;
  const message = `${code}: ${result.ErrorMessage ?? 'record not written'}`;
  return PERMANENT.has(code) ? new FatalError(message) : new TransientError(message);
}

/**
 * Opens the sink for `kinesis://STREAM?region=R&endpoint=URL`, with the config's `adapters.kinesis`
 * settings (`region`, `endpoint`, `maxAttempts`; URI parameters win).
 */
export function openKinesisSink(uri: string, options: Pick<OpenSinkOptions, 'settings'>): KinesisSink {
  const { name: stream, params } = kinesisStreamOf(uri, (why) => {
    throw new UsageError(`invalid sink "${redactUri(uri)}": ${why}`, {
      hint: 'kinesis://STREAM?region=R&endpoint=URL',
    });
  });
  const settings = kinesisSettings(params, options.settings?.kinesis);
  return new KinesisSink({ stream, client: createKinesisClient(settings), ownsClient: true });
}
