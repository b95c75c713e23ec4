import { isUtf8 } from 'node:buffer';

/** The bytes as UTF-8 text, or undefined when they are not valid UTF-8. */
export function utf8Text(raw: Uint8Array): string | undefined {
  if (!isUtf8(raw)) return undefined;
  return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8');
}

/** The bytes' text parsed as JSON, or undefined when they are not UTF-8 JSON. */
export function parsedJson(raw: Uint8Array): { readonly text: string; readonly value: unknown } | undefined {
  const text = utf8Text(raw);
  if (text === undefined) return undefined;
  try {
    return { text, value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}
