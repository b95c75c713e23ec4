import { writeFlatJson } from './flat-json.js';

/**
 * UTF-8 texts that a store write binds as bytes, encoded into shared buffers kept for reuse. SQLite binds
 * them as a BLOB the statement reads as `CAST(? AS TEXT)`, which it takes as the text it is without
 * decoding it: a flush's ledger JSON (hundreds of KB) so crosses to the writer thread without a copy (a
 * view of a `SharedArrayBuffer` is shared, not cloned), and the driver never encodes it. PostgreSQL gets
 * them as a parameter in binary format, which for `text` is its UTF-8 bytes: the driver copies them into
 * its message instead of flattening and encoding a string. Either way the agent's thread neither
 * allocates nor zeroes a fresh buffer per flush: encoding into a buffer in hand costs a few percent of
 * allocating one (measured 15 against 450 µs for 280 KB).
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
  return pooledJsonArrays([items], 0);
}

/**
 * The JSON arrays of `lists` (each as `pooledJsonArray` writes it) one after the other, with the byte
 * `separator` between two: one buffer for several arrays, split by the reader. A separator that JSON
 * text never holds raw (a control character: JSON escapes them) cannot be mistaken for the arrays' own.
 */
export function pooledJsonArrays(lists: readonly (readonly unknown[])[], separator: number): Uint8Array {
  let items = 0;
  for (const list of lists) items += list.length;
  let buffer = take(Math.max(SMALLEST, items * 256));
  let bytes = Buffer.from(buffer);
  let at = 0;
  /** Makes room for `n` more bytes. */
  const room = (n: number) => {
    if (at + n <= buffer.byteLength) return;
    const larger = take(2 * (at + n));
    const grown = Buffer.from(larger);
    bytes.copy(grown, 0, 0, at);
    releasePooledUtf8([new Uint8Array(buffer)]);
    buffer = larger;
    bytes = grown;
  };
  for (let k = 0; k < lists.length; k++) {
    const list = lists[k]!;
    room(2);
    if (k > 0) bytes[at++] = separator;
    bytes[at++] = 0x5b; // [
    // At the top of each turn there is room for a comma, the closing bracket and the next list's
    // separator and opening bracket.
    room(4);
    for (let i = 0; i < list.length; i++) {
      if (i > 0) bytes[at++] = 0x2c; // ,
      const end = writeFlatJson(bytes, at, list[i], buffer.byteLength - 3);
      if (end >= 0) {
        at = end;
        room(4);
        continue;
      }
      const json = JSON.stringify(list[i]) ?? 'null';
      // Room for the text (3 bytes per UTF-16 code unit at most) and the three bytes above.
      room(json.length * 3 + 4);
      at += bytes.write(json, at, 'utf8');
    }
    bytes[at++] = 0x5d; // ]
  }
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
