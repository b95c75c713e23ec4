import { cloudEventProblems } from '../../events/cloud-event-problems.js';
import { parsedJson, utf8Text } from '../../events/payload-text.js';
import type { Bytes } from '../../types.js';
import { mergePatch } from './merge-patch.js';

/** How an item's bytes are edited: as a CloudEvent (pretty JSON, validated), or as raw text (`--raw`). */
export type EditMode = 'event' | 'raw';

/** What an edit makes of an item's bytes: the new bytes, or every reason they are refused. */
export type EditOutcome =
  | {
      readonly ok: true;
      readonly raw: Bytes;
      /** False when the edit leaves the item as it is (same event, same bytes). */
      readonly changed: boolean;
      /** The CloudEvent's id and type, when the bytes are one (they go to the item's columns). */
      readonly eventId?: string;
      readonly eventType?: string;
    }
  | { readonly ok: false; readonly problems: readonly string[] };

const encoder = new TextEncoder();

/**
 * The text an editor opens on: the event as pretty JSON, or (`raw`) the bytes as text, ending with a
 * newline (editors add one; `outcomeOfText` takes it off again when the bytes had none). Undefined when
 * the bytes cannot be edited so: not JSON (event mode), not UTF-8 (raw mode).
 */
export function editableText(raw: Bytes, mode: EditMode): string | undefined {
  if (mode === 'raw') {
    const text = utf8Text(raw);
    return text === undefined || text.endsWith('\n') ? text : `${text}\n`;
  }
  const json = parsedJson(raw);
  return json === undefined ? undefined : `${JSON.stringify(json.value, null, 2)}\n`;
}

/** Why `editableText` gave nothing, and what to do instead. */
export function notEditableReason(mode: EditMode): { readonly why: string; readonly hint: string } {
  return mode === 'raw'
    ? { why: 'its payload is not UTF-8 text', hint: 'agentctl failed show ID --raw > payload.bin' }
    : { why: 'its payload is not JSON, so not a CloudEvent', hint: 'edit its bytes as text with --raw' };
}

/**
 * The bytes an edited text stands for. Event mode: the text must be JSON holding a valid CloudEvent
 * (every problem listed); the bytes are its compact JSON. Raw mode: the text's UTF-8 bytes, unchecked,
 * without the final newline the editor kept when `original` had none.
 */
export function outcomeOfText(text: string, mode: EditMode, original: Bytes): EditOutcome {
  if (mode === 'raw') {
    const originalText = utf8Text(original) ?? '';
    const body = !originalText.endsWith('\n') && text.endsWith('\n') ? text.slice(0, -1) : text;
    return outcomeOfBytes(encoder.encode(body), original);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, problems: [`not valid JSON: ${(error as Error).message}`] };
  }
  return outcomeOfEvent(value, original);
}

/**
 * The bytes an RFC 7386 merge patch makes of a JSON CloudEvent: the patched event must be valid.
 */
export function outcomeOfPatch(patch: unknown, original: Bytes): EditOutcome {
  const json = parsedJson(original);
  if (json === undefined) return { ok: false, problems: [notEditableReason('event').why] };
  return outcomeOfEvent(mergePatch(json.value, patch), original);
}

function outcomeOfEvent(value: unknown, original: Bytes): EditOutcome {
  const problems = cloudEventProblems(value);
  if (problems.length > 0) return { ok: false, problems };
  const text = JSON.stringify(value);
  const before = parsedJson(original);
  const changed = before === undefined || JSON.stringify(before.value) !== text;
  return { ...outcomeOfBytes(encoder.encode(text), original), changed };
}

function outcomeOfBytes(raw: Bytes, original: Bytes): EditOutcome & { ok: true } {
  const event = parsedJson(raw)?.value as Record<string, unknown> | undefined;
  const id = event?.id;
  const type = event?.type;
  return {
    ok: true,
    raw,
    changed: !Buffer.from(raw).equals(Buffer.from(original)),
    ...(typeof id === 'string' && id !== '' ? { eventId: id } : {}),
    ...(typeof type === 'string' && type !== '' ? { eventType: type } : {}),
  };
}
