import { writeFlatJson } from './flat-json.js';
import type { WriteBatch } from './write-batch.js';

/**
 * UTF-8 texts that a store write binds as bytes — a BLOB the statement reads as `CAST(? AS TEXT)`, which
 * SQLite takes as the text it is without decoding it — encoded into shared buffers kept for reuse. A
 * flush's ledger JSON (hundreds of KB) so crosses to the writer thread without a copy (a view of a
 * `SharedArrayBuffer` is shared, not cloned), the thread neither decodes it nor the driver encodes it
 * back, and the agent's thread neither allocates nor zeroes a fresh buffer per flush: encoding into
 * a buffer in hand costs a few percent of allocating one (measured 15 against 450 µs for 280 KB).
 *
 * A view is the writer's until its write settled: then (and not before) it is handed back with
 * `releasePooledUtf8`, and its buffer may carry the next text. One never released is garbage.
 */

/** Buffers of the pool, whether free or lent out: what tells a pooled view. */
const ours = new WeakSet<SharedArrayBuffer>();
const free: SharedArrayBuffer[] = [];
/** Free buffers kept at most (a flush holds one per process it ran, two flushes may be under way). */
const KEPT = 4;
const SMALLEST = 64 * 1024;
/** Larger buffers are not kept: one huge flush must not hold its memory for the process's life. */
const LARGEST_KEPT = 16 * 1024 * 1024;
const encoder = new TextEncoder();

/** The UTF-8 bytes of `text`, in a pooled shared buffer lent to the caller (see `releasePooledUtf8`). */
export function pooledUtf8(text: string): Uint8Array {
  // A UTF-16 code unit takes at most 3 UTF-8 bytes.
  const buffer = take(text.length * 3);
  const { written } = encoder.encodeInto(text, new Uint8Array(buffer));
  return new Uint8Array(buffer, 0, written);
}

/**
 * The UTF-8 JSON of `items` (as `JSON.stringify(items)` writes it), item by item into a pooled buffer
 * like `pooledUtf8`'s. A single `JSON.stringify` of a flush's entries returns its text as a tree of
 * pieces, which its first reader flattens into a fresh 200 KB string: writing each entry's small text
 * where it goes costs a third less (1.4 against 2.1 ms per 1,400 ledger entries, micro). A flat array
 * (a ledger entry, see `writeFlatJson`) is written without a text at all.
 */
export function pooledJsonArray(items: readonly unknown[]): Uint8Array {
  let buffer = take(Math.max(SMALLEST, items.length * 256));
  let bytes = Buffer.from(buffer);
  let at = 0;
  bytes[at++] = 0x5b; // [
  // At the top of each turn there is room for a comma and the closing bracket.
  for (let i = 0; i < items.length; i++) {
    if (i > 0) bytes[at++] = 0x2c; // ,
    const end = writeFlatJson(bytes, at, items[i], buffer.byteLength - 2);
    if (end >= 0) {
      at = end;
      continue;
    }
    const json = JSON.stringify(items[i]) ?? 'null';
    // Room for the text (3 bytes per UTF-16 code unit at most), a comma and the closing bracket.
    if (at + json.length * 3 + 2 > buffer.byteLength) {
      const larger = take(2 * (at + json.length * 3 + 2));
      const grown = Buffer.from(larger);
      bytes.copy(grown, 0, 0, at);
      releasePooledUtf8([new Uint8Array(buffer)]);
      buffer = larger;
      bytes = grown;
    }
    at += bytes.write(json, at, 'utf8');
  }
  bytes[at++] = 0x5d; // ]
  return new Uint8Array(buffer, 0, at);
}

/** Whether `param` is a view made by `pooledUtf8`. */
export function isPooledUtf8(param: unknown): param is Uint8Array {
  return param instanceof Uint8Array && param.buffer instanceof SharedArrayBuffer && ours.has(param.buffer);
}

/** Hands views of `pooledUtf8` back once nothing reads them any more; each buffer once. */
export function releasePooledUtf8(views: Iterable<Uint8Array>): void {
  for (const view of views) {
    const buffer = view.buffer as SharedArrayBuffer;
    if (free.length < KEPT && buffer.byteLength <= LARGEST_KEPT && !free.includes(buffer)) free.push(buffer);
  }
}

/** The views of `pooledUtf8` that `batch` binds (to hand back once it was applied). */
export function pooledIn(batch: WriteBatch): Set<Uint8Array> {
  const found = new Set<Uint8Array>();
  for (const rows of batch.rows)
    for (const row of rows)
      for (const param of Array.isArray(row) ? row : Object.values(row))
        if (isPooledUtf8(param)) found.add(param);
  return found;
}

/** A free buffer of at least `bytes`, else a new one (a power of two, so that sizes settle). */
function take(bytes: number): SharedArrayBuffer {
  for (let i = 0; i < free.length; i++) {
    const buffer = free[i]!;
    if (buffer.byteLength >= bytes) {
      free.splice(i, 1);
      return buffer;
    }
  }
  let size = SMALLEST;
  while (size < bytes) size *= 2;
  const buffer = new SharedArrayBuffer(size);
  ours.add(buffer);
  return buffer;
}
