import { createHash } from 'node:crypto';

/**
 * The hash key Kinesis gives a record without an explicit one: the MD5 digest of its partition key's
 * UTF-8 bytes, read as a 128-bit unsigned big-endian integer. A record goes to the open shard whose
 * `HashKeyRange` (inclusive at both ends) holds it.
 */
export function hashKeyOf(partitionKey: string): bigint {
  return BigInt(`0x${createHash('md5').update(partitionKey, 'utf8').digest('hex')}`);
}

/** Whether `hashKey` lies in the inclusive range `[start, end]` (decimal strings, as Kinesis gives them). */
export function inHashRange(hashKey: bigint, start: string, end: string): boolean {
  return BigInt(start) <= hashKey && hashKey <= BigInt(end);
}
