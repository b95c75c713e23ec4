import { createHash } from 'node:crypto';

/**
 * De-aggregation of records written by the Kinesis Producer Library (KPL). An aggregated record is
 * `F3 89 9A C2` + a protobuf `AggregatedRecord` + the 16-byte MD5 of that protobuf:
 *
 * ```proto
 * message AggregatedRecord {
 *   repeated string partition_key_table = 1;
 *   repeated string explicit_hash_key_table = 2;
 *   repeated Record records = 3;
 * }
 * message Record {
 *   required uint64 partition_key_index = 1;
 *   optional uint64 explicit_hash_key_index = 2;
 *   required bytes data = 3;
 *   repeated Tag tags = 4;
 * }
 * ```
 *
 * The decoder is written here (a few dozen lines) rather than pulling a protobuf runtime into the hot path.
 */

export const KPL_MAGIC: Readonly<Uint8Array> = Uint8Array.of(0xf3, 0x89, 0x9a, 0xc2);
const DIGEST_BYTES = 16;

/** One user record inside an aggregate; its subsequence number is its index. */
export interface UserRecord {
  readonly partitionKey: string;
  readonly explicitHashKey?: string;
  readonly data: Uint8Array;
}

/**
 * - `plain`: not an aggregate (no magic bytes, or too short to be one): the record is its own message;
 * - `aggregated`: the user records, in subsequence order;
 * - `corrupt`: starts like an aggregate but its digest or protobuf is wrong. It must be delivered whole
 *   (as the KCL does) so that decoding fails and it is parked — never dropped.
 */
export type Deaggregation =
  | { readonly kind: 'plain' }
  | { readonly kind: 'aggregated'; readonly records: readonly UserRecord[] }
  | { readonly kind: 'corrupt'; readonly reason: string };

const PLAIN: Deaggregation = { kind: 'plain' };

/** True when `data` starts with the KPL magic bytes and is long enough to hold a digest. */
export function looksAggregated(data: Uint8Array): boolean {
  return (
    data.length > KPL_MAGIC.length + DIGEST_BYTES &&
    data[0] === 0xf3 &&
    data[1] === 0x89 &&
    data[2] === 0x9a &&
    data[3] === 0xc2
  );
}

/** Splits a Kinesis record into its user records (see `Deaggregation`). */
export function deaggregate(data: Uint8Array): Deaggregation {
  if (!looksAggregated(data)) return PLAIN;
  const body = data.subarray(KPL_MAGIC.length, data.length - DIGEST_BYTES);
  const digest = data.subarray(data.length - DIGEST_BYTES);
  const actual = createHash('md5').update(body).digest();
  if (!actual.equals(digest)) return { kind: 'corrupt', reason: 'MD5 digest mismatch' };
  try {
    const records = decodeAggregatedRecord(body);
    if (records.length === 0) return { kind: 'corrupt', reason: 'aggregate holds no records' };
    return { kind: 'aggregated', records };
  } catch (error) {
    return { kind: 'corrupt', reason: error instanceof Error ? error.message : String(error) };
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

interface RawRecord {
  keyIndex: number | undefined;
  hashIndex: number | undefined;
  data: Uint8Array | undefined;
}

/** @throws Error when the bytes are not a well-formed `AggregatedRecord`. */
function decodeAggregatedRecord(bytes: Uint8Array): UserRecord[] {
  const keys: string[] = [];
  const hashes: string[] = [];
  const raw: RawRecord[] = [];
  const reader = new ProtoReader(bytes);
  while (!reader.done) {
    const { field, wire } = reader.tag();
    if (field === 1 && wire === 2) keys.push(utf8.decode(reader.bytes()));
    else if (field === 2 && wire === 2) hashes.push(utf8.decode(reader.bytes()));
    else if (field === 3 && wire === 2) raw.push(decodeRecord(reader.bytes()));
    else reader.skip(wire);
  }
  return raw.map((r, i) => {
    if (r.keyIndex === undefined || r.data === undefined)
      throw new Error(`record ${i} lacks a required field`);
    const partitionKey = keys[r.keyIndex];
    if (partitionKey === undefined)
      throw new Error(`record ${i}: partition key index ${r.keyIndex} out of range`);
    if (r.hashIndex === undefined) return { partitionKey, data: r.data };
    const explicitHashKey = hashes[r.hashIndex];
    if (explicitHashKey === undefined)
      throw new Error(`record ${i}: explicit hash key index ${r.hashIndex} out of range`);
    return { partitionKey, explicitHashKey, data: r.data };
  });
}

function decodeRecord(bytes: Uint8Array): RawRecord {
  const record: RawRecord = { keyIndex: undefined, hashIndex: undefined, data: undefined };
  const reader = new ProtoReader(bytes);
  while (!reader.done) {
    const { field, wire } = reader.tag();
    if (field === 1 && wire === 0) record.keyIndex = reader.varint();
    else if (field === 2 && wire === 0) record.hashIndex = reader.varint();
    else if (field === 3 && wire === 2) record.data = reader.bytes();
    else reader.skip(wire);
  }
  return record;
}

/** The protobuf wire format, as far as `AggregatedRecord` needs it. Every read is bounds-checked. */
class ProtoReader {
  private at = 0;

  constructor(private readonly buf: Uint8Array) {}

  get done(): boolean {
    return this.at >= this.buf.length;
  }

  tag(): { field: number; wire: number } {
    const tag = this.varint();
    const field = Math.floor(tag / 8);
    if (field === 0) throw new Error('field number 0');
    return { field, wire: tag % 8 };
  }

  /** An unsigned varint; values beyond 2^53 are refused (no index or length is ever that large). */
  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const byte = this.buf[this.at++];
      if (byte === undefined) throw new Error('truncated varint');
      value += (byte & 0x7f) * scale;
      if (value > Number.MAX_SAFE_INTEGER) throw new Error('varint too large');
      if ((byte & 0x80) === 0) return value;
      scale *= 128;
    }
    throw new Error('varint too long');
  }

  bytes(): Uint8Array {
    const length = this.varint();
    const end = this.at + length;
    if (end > this.buf.length) throw new Error('truncated length-delimited field');
    const out = this.buf.subarray(this.at, end);
    this.at = end;
    return out;
  }

  skip(wire: number): void {
    switch (wire) {
      case 0:
        this.varint();
        return;
      case 1:
        this.advance(8);
        return;
      case 2:
        this.bytes();
        return;
      case 5:
        this.advance(4);
        return;
      default:
        throw new Error(`unsupported wire type ${wire}`);
    }
  }

  private advance(n: number): void {
    if (this.at + n > this.buf.length) throw new Error('truncated fixed-width field');
    this.at += n;
  }
}
