import { DecodeError } from '../errors/decode-error.js';
import type { Bytes } from '../types.js';

/**
 * A CloudEvents 1.0 event in its JSON form. `id` + `source` identify the event; `type` is what rules
 * match on. Extension attributes are kept as they are.
 */
export interface CloudEvent<D = unknown> {
  readonly specversion: string;
  readonly id: string;
  readonly type: string;
  readonly source: string;
  readonly time?: string;
  readonly subject?: string;
  readonly datacontenttype?: string;
  readonly data?: D;
  readonly [extension: string]: unknown;
}

/**
 * Turns raw bytes into an event; throws `DecodeError` when they are not one. `fromText`, when there, does
 * the same from the bytes' UTF-8 text, for a message whose source read it as valid text already
 * (`Message.text`): the bytes are then not decoded a second time.
 */
export type EventDecoder = ((raw: Bytes) => CloudEvent) & {
  readonly fromText?: (text: string) => CloudEvent;
};

/**
 * Validates and decodes in one pass, and takes a plain Uint8Array as it is (a Kinesis record's bytes are
 * one): `isUtf8` then a Buffer made around the bytes to call `toString` cost twice as much (issue 13). A
 * byte order mark is kept, as `toString` kept it: JSON.parse then refuses the payload, as before.
 */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function text(raw: Bytes): string {
  try {
    return utf8.decode(raw);
  } catch (cause) {
    throw new DecodeError('payload is not valid UTF-8', { cause });
  }
}

/** Validates a parsed value as a CloudEvents envelope (required: `id`, `type`, `source`, `specversion`). */
export function asCloudEvent(value: unknown): CloudEvent {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DecodeError('payload is not a JSON object');
  }
  const event = value as Record<string, unknown>;
  for (const key of ['id', 'type', 'source'] as const) {
    const field = event[key];
    if (typeof field !== 'string' || field.length === 0) {
      throw new DecodeError(`not a CloudEvent: "${key}" must be a non-empty string`);
    }
  }
  if (event.specversion === undefined) return { ...event, specversion: '1.0' } as CloudEvent;
  if (typeof event.specversion !== 'string')
    throw new DecodeError('not a CloudEvent: "specversion" must be a string');
  return event as CloudEvent;
}

/** A CloudEvents 1.0 envelope from its JSON text (valid UTF-8 already): `decodeCloudEvent.fromText`. */
function cloudEventFromText(json: string): CloudEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (cause) {
    throw new DecodeError(`payload is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  return asCloudEvent(parsed);
}

/** The default decoder: UTF-8 JSON holding a CloudEvents 1.0 envelope. */
export const decodeCloudEvent: EventDecoder = Object.assign((raw: Bytes) => cloudEventFromText(text(raw)), {
  fromText: cloudEventFromText,
});

const encoder = new TextEncoder();

/** The JSON bytes of an event. */
export function encodeEvent(event: CloudEvent): Bytes {
  return encoder.encode(JSON.stringify(event));
}
