import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { appendFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { describeError } from '../errors/agentctl-error.js';
import { UsageError } from '../errors/usage-error.js';
import { asCloudEvent, type CloudEvent } from '../events/cloud-event.js';
import { createPrivateFile, makePrivateDirectory } from '../private-files.js';
import { openSink } from '../publish/open-sink.js';
import type { PublishRecord } from '../publish/publisher.js';
import { parseSourceUri } from '../sources/source-uri.js';
import type { StateStore } from '../store/state-store.js';

/** One event to publish: its bytes and the key that picks its partition. */
export interface OutgoingEvent {
  readonly value: Uint8Array;
  readonly key: string | undefined;
}

/** What `parseEvents` read: the events, and the lines it left out (`--raw` only: empty lines). */
export interface ParsedEvents {
  readonly events: OutgoingEvent[];
  /** 1-based numbers of the empty lines skipped by `raw`; always empty otherwise. */
  readonly emptyLines: readonly number[];
}

export interface ParseOptions {
  /** Dot path of the field whose value is the partition key (default: `subject`, else `id`). */
  readonly partitionKey?: string;
  /**
   * Publish lines as they are, even those that are not CloudEvents or not UTF-8 (to show decode
   * failures): the input is cut at every \n byte and each line keeps its bytes exactly, a \r before the
   * \n included. Empty lines are skipped (and counted); a final \n ends the last line.
   */
  readonly raw?: boolean;
}

const NEWLINE = 0x0a;
const encoder = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function pick(event: unknown, path: string): unknown {
  let value: unknown = event;
  for (const part of path.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function keyOf(event: CloudEvent, path: string | undefined): string | undefined {
  const value = path === undefined ? (event.subject ?? event.id) : pick(event, path);
  return value === undefined || value === null ? undefined : String(value);
}

/** The input's lines: its bytes cut at every \n (a final \n ends the last line, it starts none). */
function byteLines(input: Uint8Array): Uint8Array[] {
  const lines: Uint8Array[] = [];
  let start = 0;
  for (;;) {
    const end = input.indexOf(NEWLINE, start);
    if (end === -1) break;
    lines.push(input.subarray(start, end));
    start = end + 1;
  }
  if (start < input.length) lines.push(input.subarray(start));
  return lines;
}

/** A raw line's partition key, when the line is an event; else `undefined` (it goes out all the same). */
function rawKey(line: Uint8Array, partitionKey: string | undefined): string | undefined {
  try {
    return keyOf(asCloudEvent(JSON.parse(strictUtf8.decode(line))), partitionKey);
  } catch {
    return undefined;
  }
}

/** The input as text. @throws UsageError naming the first line that is not valid UTF-8. */
function utf8Text(input: Uint8Array): string {
  try {
    return strictUtf8.decode(input);
  } catch {
    const line = byteLines(input).findIndex((l) => !isUtf8(l)) + 1;
    throw new UsageError(`line ${line} is not valid UTF-8`, {
      hint: 'events are UTF-8 JSON; --raw publishes lines as they are, byte for byte',
    });
  }
}

/**
 * Reads events from text or bytes: one JSON event, a JSON array of events, or NDJSON. Each is checked to
 * be a UTF-8 CloudEvent (unless `raw`: see `ParseOptions.raw`). An event on a line of its own that is
 * already a complete CloudEvent keeps its bytes as written (without the whitespace around it); one in an
 * array or spread over lines, or one given a default `specversion`, is re-serialised. @throws UsageError
 * naming the line of the first bad event.
 */
export function parseEvents(input: string | Uint8Array, options: ParseOptions = {}): ParsedEvents {
  if (options.raw) {
    const bytes = typeof input === 'string' ? encoder.encode(input) : input;
    const events: OutgoingEvent[] = [];
    const emptyLines: number[] = [];
    for (const [i, line] of byteLines(bytes).entries()) {
      if (line.length === 0) emptyLines.push(i + 1);
      else events.push({ value: line, key: rawKey(line, options.partitionKey) });
    }
    return { events, emptyLines };
  }
  const trimmed = (typeof input === 'string' ? input : utf8Text(input)).trim();
  if (trimmed.length === 0) return { events: [], emptyLines: [] };
  // `text`: the item as written, when it stands on one line of its own (NDJSON, or a one-line event).
  let items: { value: unknown; line: number; text: string | undefined }[];
  if (trimmed.startsWith('[')) {
    items = (JSON.parse(trimmed) as unknown[]).map((value, i) => ({ value, line: i + 1, text: undefined }));
  } else {
    items = [];
    let whole: unknown;
    try {
      whole = JSON.parse(trimmed);
    } catch {
      whole = undefined;
    }
    if (whole !== undefined && !Array.isArray(whole)) {
      items.push({ value: whole, line: 1, text: trimmed.includes('\n') ? undefined : trimmed });
    } else {
      for (const [i, line] of trimmed.split('\n').entries()) {
        const text = line.trim();
        if (text.length === 0) continue;
        try {
          items.push({ value: JSON.parse(line), line: i + 1, text });
        } catch (cause) {
          throw new UsageError(`line ${i + 1} is not JSON: ${describeError(cause)}`, {
            hint: 'give one JSON event, a JSON array, or one event per line (NDJSON); --raw publishes lines as they are',
          });
        }
      }
    }
  }
  const events = items.map(({ value: item, line, text }) => {
    const peeked = peekLine(item, line);
    const value = peeked?.event ?? item;
    let event: CloudEvent;
    try {
      event = asCloudEvent(value);
    } catch (cause) {
      throw new UsageError(`event ${line}: ${describeError(cause)}`, {
        hint: 'events need "id", "type" and "source" (CloudEvents 1.0); --raw publishes them unchecked',
      });
    }
    // A line that is a CloudEvent as written goes out as written (JSON whitespace around it trimmed): the
    // consumer gets the producer's bytes, and a large file is not run through JSON.stringify a second
    // time. An event that needed a default (`specversion`) is serialised with it.
    if (text !== undefined && event === value && peeked === undefined) {
      return { value: encoder.encode(text), key: keyOf(event, options.partitionKey) };
    }
    // A line of `agentctl peek --json` keeps the key it was stored under, unless --partition-key says.
    if (peeked?.key !== undefined && options.partitionKey === undefined) {
      return { value: encoder.encode(JSON.stringify(event)), key: peeked.key };
    }
    return outgoingEvent(event, options.partitionKey);
  });
  return { events, emptyLines: [] };
}

/**
 * A line of `agentctl peek --json` (`{partition, position, timestamp, key?, event}`): its event and key;
 * undefined for anything else. @throws UsageError for a peek line of a record that did not decode (it
 * holds bytes, not an event).
 */
function peekLine(value: unknown, line: number): { event: unknown; key: string | undefined } | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.partition !== 'string' || typeof v.position !== 'string') return undefined;
  if (typeof v.raw === 'string' && v.event === undefined) {
    throw new UsageError(
      `line ${line} is a record peek could not decode (${String(v.error)}): it holds bytes, not an event`,
      {
        hint: "leave such lines out (jq -c 'select(.event)'), or peek --raw and publish --raw to copy bytes",
      },
    );
  }
  if (typeof v.event !== 'object' || v.event === null) return undefined;
  return { event: v.event, key: typeof v.key === 'string' ? v.key : undefined };
}

/** An event as it is published: its JSON bytes, keyed by `partitionKey` (default subject, else id). */
export function outgoingEvent(event: CloudEvent, partitionKey?: string): OutgoingEvent {
  return { value: encoder.encode(JSON.stringify(event)), key: keyOf(event, partitionKey) };
}

/** A CloudEvent built from flags (`publish --type T --data JSON`). */
export function buildEvent(fields: {
  type: string;
  data?: string;
  subject?: string;
  id?: string;
  source?: string;
}): CloudEvent {
  let data: unknown;
  if (fields.data !== undefined) {
    try {
      data = JSON.parse(fields.data);
    } catch (cause) {
      throw new UsageError(`--data is not JSON: ${describeError(cause)}`, {
        hint: `quote it, e.g. --data '{"id": 1}'`,
      });
    }
  }
  const event = {
    specversion: '1.0',
    id: fields.id ?? randomUUID(),
    source: fields.source ?? '/agentctl/cli',
    type: fields.type,
    time: new Date().toISOString(),
    ...(fields.subject === undefined ? {} : { subject: fields.subject }),
    ...(data === undefined ? {} : { datacontenttype: 'application/json', data }),
  };
  try {
    return asCloudEvent(event);
  } catch (cause) {
    throw new UsageError(describeError(cause), { hint: 'give --type (and --id, if any) a value' });
  }
}

export interface PublishResult {
  readonly target: string;
  readonly published: number;
  /** Events per partition, where the target tells (the local log). */
  readonly partitions: Readonly<Record<string, number>>;
}

const LINE_END = Buffer.from('\n');

/**
 * Appends events to a source: the local log (`local:TOPIC`), an NDJSON file (`file:PATH`, lines as they
 * are), or any source whose sink is registered (Kinesis, AMQP), in batches.
 */
export async function publishEvents(
  target: string,
  events: readonly OutgoingEvent[],
  options: { readonly store: StateStore; readonly localPartitions?: number; readonly cwd?: string },
): Promise<PublishResult> {
  const parsed = parseSourceUri(target);
  const partitions: Record<string, number> = {};
  if (parsed.kind === 'local') {
    if (options.localPartitions !== undefined)
      await options.store.log.ensureTopic(parsed.name, options.localPartitions);
    for (let i = 0; i < events.length; i += 5_000) {
      const placed = await options.store.log.append(
        parsed.name,
        events
          .slice(i, i + 5_000)
          .map((e) => ({ value: e.value, ...(e.key === undefined ? {} : { key: e.key }) })),
      );
      for (const p of placed) partitions[p.partition] = (partitions[p.partition] ?? 0) + 1;
    }
    return { target: `local:${parsed.name}`, published: events.length, partitions };
  }
  if (parsed.kind === 'file') {
    const path = resolve(options.cwd ?? process.cwd(), parsed.name);
    makePrivateDirectory(dirname(path));
    createPrivateFile(path);
    await appendFile(path, Buffer.concat(events.flatMap((e) => [e.value, LINE_END])));
    return { target: parsed.display, published: events.length, partitions: { '0': events.length } };
  }
  const sink = await openSink(target, { store: options.store });
  if (sink === undefined) throw new UsageError(`cannot publish to ${parsed.display}`);
  try {
    const now = Date.now();
    const records: PublishRecord[] = events.map((e, i) => ({
      id: `publish-${now}-${i}`,
      value: e.value,
      timestamp: now,
      ...(e.key === undefined ? {} : { key: e.key }),
    }));
    for (let i = 0; i < records.length; i += sink.maxBatch) {
      const batch = records.slice(i, i + sink.maxBatch);
      const { failures } = await sink.send(batch);
      if (failures.size > 0) {
        const [index, error] = [...failures][0]!;
        throw new UsageError(
          `${failures.size} of ${batch.length} events were not accepted by ${parsed.display}: ${describeError(error)}`,
          {
            hint: `the first ${i + index} events were published; check the target and publish the rest again`,
          },
        );
      }
    }
    return { target: parsed.display, published: events.length, partitions };
  } finally {
    await sink.close();
  }
}
