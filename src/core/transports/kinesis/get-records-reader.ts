import { isAscii } from 'node:buffer';
import type { GetRecordsCommandOutput, KinesisClient } from '@aws-sdk/client-kinesis';

/** What the SDK hands a protocol's `deserializeResponse`: an HTTP response whose body is a stream. */
interface RawResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string | undefined>;
  readonly body?: AsyncIterable<Uint8Array> | Uint8Array;
}

type Deserialize = (
  operation: { readonly name?: string },
  context: unknown,
  response: RawResponse,
) => Promise<unknown>;

/** A GetRecords record as Kinesis sends it in JSON: `Data` in base64, the arrival time in epoch seconds. */
interface WireRecord {
  Data?: unknown;
  ApproximateArrivalTimestamp?: unknown;
  [member: string]: unknown;
}

/**
 * Makes `client` read successful `GetRecords` answers with `readGetRecords` instead of the SDK's
 * schema-driven JSON deserializer; every other operation, and every error answer (the SDK maps those to
 * its typed exceptions, which the shard reader's retry decisions rely on), still goes through the SDK.
 *
 * Why: on the hot path of polling, the SDK walks its schema for every member of every record, validates
 * each record's base64 with a regular expression and zero-fills a copy of the whole body before parsing
 * it — about a third of the CPU the raw SDK loop spends per record (issue 13). The answer's shape is
 * fixed and small, so it is read directly. The client's `protocol` (the SDK's extension point for
 * serialization) is adjusted on the instance rather than replaced by a subclass so that agentctl does not
 * depend on the SDK's internal `@aws-sdk/core` package directly.
 */
export function readGetRecordsDirectly(client: KinesisClient): void {
  const protocol = client.config.protocol as unknown as { deserializeResponse: Deserialize };
  if (typeof protocol?.deserializeResponse !== 'function') return;
  const sdk = protocol.deserializeResponse.bind(protocol);
  protocol.deserializeResponse = (operation, context, response) =>
    operation.name === 'GetRecords' &&
    response.statusCode >= 200 &&
    response.statusCode < 300 &&
    isJson(response)
      ? readGetRecords(response)
      : sdk(operation, context, response);
}

/**
 * A JSON answer (`application/x-amz-json-1.1`, or no content type, as emulators send): anything else —
 * a protocol this reader does not know, such as CBOR — is left to the SDK.
 */
function isJson(response: RawResponse): boolean {
  let type: string | undefined;
  for (const key of Object.keys(response.headers))
    if (key.toLowerCase() === 'content-type') type = response.headers[key];
  return type === undefined || type.includes('json');
}

/**
 * The output of one successful `GetRecords` answer, as the SDK would give it: `Data` as a `Uint8Array`
 * of the decoded bytes, `ApproximateArrivalTimestamp` as a `Date` (epoch seconds, rounded to the
 * millisecond), every other member as sent (`SequenceNumber`, `PartitionKey`, `EncryptionType`,
 * `NextShardIterator`, `MillisBehindLatest`, `ChildShards`), and `$metadata` from the status and headers.
 * @throws SyntaxError when the body is not JSON (the SDK would fail such an answer too).
 */
export async function readGetRecords(response: RawResponse): Promise<GetRecordsCommandOutput> {
  const body = await bodyText(response.body);
  const output = (body === '' ? {} : JSON.parse(body)) as Record<string, unknown>;
  const records = output.Records;
  if (Array.isArray(records)) {
    const slab = new DataSlab();
    for (let i = 0; i < records.length; i++) {
      const record = records[i] as WireRecord;
      if (typeof record.Data === 'string') record.Data = slab.decode(record.Data);
      const arrival = record.ApproximateArrivalTimestamp;
      if (arrival !== undefined && arrival !== null) {
        record.ApproximateArrivalTimestamp = new Date(Math.round(Number(arrival) * 1000));
      }
    }
  }
  output.$metadata = metadata(response);
  return output as unknown as GetRecordsCommandOutput;
}

/** Bytes of the slabs records' `Data` is decoded into (a record larger than that gets a slab of its own). */
const SLAB_BYTES = 64 * 1024;

/**
 * Decodes the base64 `Data` of one answer's records into shared slabs of `SLAB_BYTES`, each record a
 * plain Uint8Array view of its part (as the SDK returns: a Buffer's `slice` and JSON form differ from it).
 * `Buffer.from(data, 'base64')` per record spent more on allocating (a Buffer object per record and an
 * 8 KB pool buffer every few records) than on decoding (issue 13). A slab is never written again once a
 * view of it was handed out, and a message kept long after its page (parked, shown by `latest`) holds
 * at most one slab.
 */
class DataSlab {
  private slab: Buffer = Buffer.allocUnsafeSlow(0);
  private used = 0;

  decode(base64: string): Uint8Array {
    // At most 3 bytes per 4 characters (fewer with padding, or when the text is not all base64).
    const most = Math.ceil(base64.length / 4) * 3;
    if (this.used + most > this.slab.byteLength) {
      this.slab = Buffer.allocUnsafeSlow(Math.max(SLAB_BYTES, most));
      this.used = 0;
    }
    const start = this.used;
    const length = this.slab.write(base64, start, 'base64');
    this.used += length;
    return new Uint8Array(this.slab.buffer, this.slab.byteOffset + start, length);
  }
}

/**
 * Where an answer's chunks are put together before it is read as text, reused from one answer to the
 * next: a fresh buffer of several megabytes per answer (a page of 10,000 records is about 7 MB) cost more
 * in page faults than the copy itself. Only used synchronously (gathered, read as text, done), so answers
 * read at the same time never share it; one larger than `MAX_SCRATCH` gets a buffer of its own.
 */
let scratch: Buffer = Buffer.allocUnsafeSlow(0);
const MAX_SCRATCH = 16 * 1024 * 1024;

/** The body as text ('' when empty). */
async function bodyText(body: RawResponse['body']): Promise<string> {
  if (body === undefined) return '';
  if (body instanceof Uint8Array) return text(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    length += chunk.byteLength;
  }
  if (chunks.length === 1) {
    const only = chunks[0]!;
    return text(Buffer.from(only.buffer, only.byteOffset, only.byteLength));
  }
  if (length > MAX_SCRATCH) return text(Buffer.concat(chunks, length));
  if (scratch.byteLength < length) {
    scratch = Buffer.allocUnsafeSlow(Math.min(MAX_SCRATCH, Math.max(length, scratch.byteLength * 2)));
  }
  let offset = 0;
  for (const chunk of chunks) {
    scratch.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return text(scratch.subarray(0, length));
}

/**
 * The body as text. An answer is almost always ASCII (`Data` is base64; only a partition key outside ASCII
 * is not), and ASCII bytes read as Latin-1 are the same text as read as UTF-8 — for a few megabytes, about
 * a quarter of the CPU of UTF-8 decoding, which was the largest single cost of reading an answer.
 */
function text(body: Buffer): string {
  return isAscii(body) ? body.toString('latin1') : body.toString('utf8');
}

/** What the SDK's protocols put in `$metadata` (header names as Node gives them: lower case). */
function metadata(response: RawResponse): GetRecordsCommandOutput['$metadata'] {
  const header = (name: string): string | undefined => {
    const value = response.headers[name];
    if (value !== undefined) return value;
    for (const key of Object.keys(response.headers))
      if (key.toLowerCase() === name) return response.headers[key];
    return undefined;
  };
  return {
    httpStatusCode: response.statusCode,
    requestId: header('x-amzn-requestid') ?? header('x-amzn-request-id') ?? header('x-amz-request-id'),
    extendedRequestId: header('x-amz-id-2'),
    cfId: header('x-amz-cf-id'),
  };
}
