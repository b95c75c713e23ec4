/**
 * Writes the JSON of a flat array — strings of printable ASCII without `"` or `\`, integers up to 1e15,
 * booleans and nulls, what a ledger entry mostly is — byte by byte into `bytes` from `at`, without building
 * its text: `JSON.stringify` would allocate the text (and the pieces it is built from) only for it to be
 * copied into the buffer. Writes the very bytes `JSON.stringify` writes and returns the position after
 * them, never writing at or past `limit`; returns -1 when the item is anything else or does not fit
 * (what was written from `at` is then garbage, for the caller to overwrite with `JSON.stringify`'s text).
 */
export function writeFlatJson(bytes: Uint8Array, at: number, item: unknown, limit: number): number {
  if (!Array.isArray(item) || at >= limit) return -1;
  bytes[at++] = 0x5b; // [
  for (let i = 0; i < item.length; i++) {
    if (i > 0) {
      if (at >= limit) return -1;
      bytes[at++] = 0x2c; // ,
    }
    at = writeValue(bytes, at, item[i], limit);
    if (at < 0) return -1;
  }
  if (at >= limit) return -1;
  bytes[at++] = 0x5d; // ]
  return at;
}

/**
 * Integers up to this magnitude are written digit by digit: their tenth is then exact enough in a double
 * (spacing under 1/16) that flooring it gives the integer quotient.
 */
const LARGEST_INTEGER = 1e15;

function writeValue(bytes: Uint8Array, at: number, value: unknown, limit: number): number {
  switch (typeof value) {
    case 'string':
      return writeString(bytes, at, value, limit);
    case 'number':
      return Number.isInteger(value) && Math.abs(value) <= LARGEST_INTEGER
        ? writeInteger(bytes, at, value, limit)
        : -1;
    case 'boolean':
      return writeAscii(bytes, at, value ? 'true' : 'false', limit);
    case 'object':
      return value === null ? writeAscii(bytes, at, 'null', limit) : -1;
    default:
      return -1;
  }
}

function writeString(bytes: Uint8Array, at: number, text: string, limit: number): number {
  const n = text.length;
  if (at + n + 2 > limit) return -1;
  bytes[at++] = 0x22; // "
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    // Control characters, `"`, `\` and anything outside ASCII: escaped or multi-byte, left to JSON.stringify.
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return -1;
    bytes[at++] = c;
  }
  bytes[at++] = 0x22;
  return at;
}

function writeInteger(bytes: Uint8Array, at: number, value: number, limit: number): number {
  // -0 is written `0`, as JSON.stringify does (it is not below 0).
  if (value < 0) {
    if (at >= limit) return -1;
    bytes[at++] = 0x2d; // -
    value = -value;
  }
  let digits = 1;
  for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits++;
  if (at + digits > limit) return -1;
  for (let k = at + digits - 1; k >= at; k--) {
    const quotient = Math.floor(value / 10);
    bytes[k] = 0x30 + (value - quotient * 10);
    value = quotient;
  }
  return at + digits;
}

function writeAscii(bytes: Uint8Array, at: number, text: string, limit: number): number {
  if (at + text.length > limit) return -1;
  for (let i = 0; i < text.length; i++) bytes[at++] = text.charCodeAt(i);
  return at;
}
