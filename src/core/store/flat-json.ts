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
 * Integers up to this magnitude are written: split at 1e8, both halves are exact small integers (the
 * quotient of one up to 1e15 by 1e8 is at most 1e7, where doubles are spaced far closer than 1e-8, so
 * flooring the double quotient gives the integer quotient).
 */
const LARGEST_INTEGER = 1e15;
const HALF = 1e8;

/**
 * One value. `typeof` compared with a constant, not switched on: the optimising compiler turns each test
 * into a check of the value's type, while a `switch` on `typeof` called a builtin for the type's name and
 * compared strings (measured with `perf` on the `local` bench: a fifth of the ledger's encoding).
 */
function writeValue(bytes: Uint8Array, at: number, value: unknown, limit: number): number {
  if (typeof value === 'string') return writeString(bytes, at, value, limit);
  if (typeof value === 'number') {
    return Number.isInteger(value) && Math.abs(value) <= LARGEST_INTEGER
      ? writeInteger(bytes, at, value, limit)
      : -1;
  }
  if (value === null) return writeAscii(bytes, at, 'null', limit);
  if (typeof value === 'boolean') return writeAscii(bytes, at, value ? 'true' : 'false', limit);
  return -1;
}

function writeString(bytes: Uint8Array, at: number, text: string, limit: number): number {
  const n = text.length;
  if (at + n + 2 > limit) return -1;
  bytes[at++] = 0x22; // "
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    // Control characters, `"`, `\` and anything outside ASCII: escaped or multi-byte, left to JSON.stringify.
    // One unsigned comparison for the printable range 0x20..0x7e (below 0x20 wraps to a large number).
    if ((c - 0x20) >>> 0 > 0x5e || c === 0x22 || c === 0x5c) return -1;
    bytes[at++] = c;
  }
  bytes[at++] = 0x22;
  return at;
}

/**
 * An integer (see `LARGEST_INTEGER`) in decimal. A timestamp in milliseconds has 13 digits: written as two
 * int32 halves, its digits come from integer divisions by 10 (a multiplication once compiled) instead of
 * 25 dependent floating-point divisions — most of a ledger entry's cost before (measured 4 per entry).
 */
function writeInteger(bytes: Uint8Array, at: number, value: number, limit: number): number {
  // -0 is written `0`, as JSON.stringify does (it is not below 0).
  if (value < 0) {
    if (at >= limit) return -1;
    bytes[at++] = 0x2d; // -
    value = -value;
  }
  if (value < HALF) return writeDigits(bytes, at, value | 0, decimalDigits(value | 0), limit);
  const high = Math.floor(value / HALF);
  at = writeDigits(bytes, at, high | 0, decimalDigits(high | 0), limit);
  return at < 0 ? -1 : writeDigits(bytes, at, (value - high * HALF) | 0, 8, limit);
}

/** How many decimal digits a non-negative int32 has. */
function decimalDigits(value: number): number {
  let digits = 1;
  for (let rest = value; rest >= 10; rest = (rest / 10) | 0) digits++;
  return digits;
}

/** The last `digits` decimal digits of a non-negative int32, zero-padded on the left. */
function writeDigits(bytes: Uint8Array, at: number, value: number, digits: number, limit: number): number {
  if (at + digits > limit) return -1;
  for (let k = at + digits - 1; k >= at; k--) {
    const quotient = (value / 10) | 0;
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
