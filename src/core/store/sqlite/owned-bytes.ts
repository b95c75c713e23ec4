/** Buffers that the code which made them handed over for good: the writer thread may take them. */
const owned = new WeakSet<ArrayBufferLike>();
const encoder = new TextEncoder();

/**
 * The UTF-8 bytes of `text`, in a buffer of their own that whoever made them gives up: a write of the
 * store that binds them moves the buffer to the writer thread (transferred, not copied), after which it
 * reads as empty here. Bound, they are a BLOB: the statement reads them as `CAST(? AS TEXT)`, which SQLite
 * takes as the text it is without decoding it — the writer thread then neither decodes the bytes to a
 * string nor the driver encodes that string back to UTF-8.
 */
export function ownedUtf8(text: string): Uint8Array {
  const bytes = encoder.encode(text);
  owned.add(bytes.buffer);
  return bytes;
}

/** Whether `param` is bytes made by `ownedUtf8`, whose buffer a write may transfer. */
export function isOwnedBytes(param: unknown): param is Uint8Array {
  return param instanceof Uint8Array && owned.has(param.buffer);
}
