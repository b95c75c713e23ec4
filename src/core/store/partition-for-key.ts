import { UsageError } from '../errors/usage-error.js';

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * The FNV-1a 32-bit hash of a string's UTF-8 bytes, as an unsigned integer. Stable across processes,
 * platforms and versions (the local log's key → partition mapping depends on it, so it must never change),
 * and the same as any other FNV-1a 32-bit implementation fed the UTF-8 encoding: `fnv1a32('a')` is
 * `0xe40c292c`. A lone surrogate is hashed as U+FFFD, as `TextEncoder` would encode it.
 */
export function fnv1a32(key: string): number {
  let hash = FNV_OFFSET_BASIS;
  const step = (byte: number) => {
    hash = Math.imul(hash ^ byte, FNV_PRIME);
  };
  for (let i = 0; i < key.length; i++) {
    let code = key.charCodeAt(i);
    if (code < 0x80) {
      step(code);
      continue;
    }
    if (code < 0x800) {
      step(0xc0 | (code >> 6));
      step(0x80 | (code & 0x3f));
      continue;
    }
    if (code >= 0xd800 && code <= 0xdfff) {
      const next = key.charCodeAt(i + 1);
      if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00);
        i++;
        step(0xf0 | (code >> 18));
        step(0x80 | ((code >> 12) & 0x3f));
        step(0x80 | ((code >> 6) & 0x3f));
        step(0x80 | (code & 0x3f));
        continue;
      }
      code = 0xfffd;
    }
    step(0xe0 | (code >> 12));
    step(0x80 | ((code >> 6) & 0x3f));
    step(0x80 | (code & 0x3f));
  }
  return hash >>> 0;
}

/**
 * The partition, in `[0, partitions)`, that records with this key go to in the embedded log: FNV-1a 32-bit
 * of the key's UTF-8 bytes, modulo the partition count. Records with one key therefore stay in one
 * partition, in order, for as long as the topic keeps its partition count. Kinesis does its own hashing.
 */
export function partitionForKey(key: string, partitions: number): number {
  if (!Number.isInteger(partitions) || partitions < 1) {
    throw new UsageError(`a topic needs a whole number of partitions ≥ 1, not ${partitions}`);
  }
  return fnv1a32(key) % partitions;
}
