/**
 * The headers of a delivery as a message attribute: the application's headers (not those the broker
 * sets on delivery or dead-lettering) as JSON text of string values, so that parking keeps them and a
 * redrive to the queue publishes them again (`replay --failed --to-origin`).
 */

/** The message attribute that carries them. */
export const HEADERS_ATTRIBUTE = 'headers';

/** Set by the broker, never carried back: a redrive is a new publish. */
function setByBroker(name: string): boolean {
  return (
    name === 'x-delivery-count' ||
    name === 'x-stream-offset' ||
    name === 'x-death' ||
    name.startsWith('x-first-death-') ||
    name.startsWith('x-last-death-')
  );
}

/** The header's value as text: strings as they are, numbers and booleans printed, anything else as JSON. */
function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return JSON.stringify(value) ?? '';
}

/** The attribute value for a delivery's headers; `undefined` when it has none of its own (the usual case). */
export function headersAttribute(headers: Readonly<Record<string, unknown>> | undefined): string | undefined {
  if (headers === undefined) return undefined;
  let kept: Record<string, string> | undefined;
  for (const name in headers) {
    if (setByBroker(name)) continue;
    kept ??= {};
    kept[name] = text(headers[name]);
  }
  return kept === undefined ? undefined : JSON.stringify(kept);
}

/** The headers an attribute carries back (as `headersAttribute` wrote them); `undefined` for none. */
export function headersOfAttribute(value: unknown): Record<string, string> | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const parsed = JSON.parse(value) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, string>) : undefined;
  } catch {
    return undefined;
  }
}
