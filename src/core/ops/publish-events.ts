import { randomUUID } from 'node:crypto';
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { describeError } from '../errors/agentctl-error.js';
import { UsageError } from '../errors/usage-error.js';
import { asCloudEvent, type CloudEvent } from '../events/cloud-event.js';
import { openSink } from '../publish/open-sink.js';
import type { PublishRecord } from '../publish/publisher.js';
import { parseSourceUri } from '../sources/source-uri.js';
import type { StateStore } from '../store/state-store.js';

/** One event to publish: its JSON text and the key that picks its partition. */
export interface OutgoingEvent {
  readonly text: string;
  readonly key: string | undefined;
}

export interface ParseOptions {
  /** Dot path of the field whose value is the partition key (default: `subject`, else `id`). */
  readonly partitionKey?: string;
  /** Publish lines as they are, even those that are not CloudEvents (to show decode failures). */
  readonly raw?: boolean;
}

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

/**
 * Reads events from text: one JSON event, a JSON array of events, or NDJSON. Each is checked to be a
 * CloudEvent (unless `raw`). @throws UsageError naming the line of the first bad event.
 */
export function parseEvents(text: string, options: ParseOptions = {}): OutgoingEvent[] {
  const trimmed = text.trim();
  if (trimmed.length === 0) return [];
  if (options.raw) {
    // Lines go out as they are; those that are events still get their key, so their order holds.
    return trimmed
      .split('\n')
      .filter((l) => l.trim().length > 0)
      .map((line) => {
        try {
          return { text: line.trimEnd(), key: keyOf(asCloudEvent(JSON.parse(line)), options.partitionKey) };
        } catch {
          return { text: line.trimEnd(), key: undefined };
        }
      });
  }
  let items: { value: unknown; line: number }[];
  if (trimmed.startsWith('[')) {
    items = (JSON.parse(trimmed) as unknown[]).map((value, i) => ({ value, line: i + 1 }));
  } else {
    items = [];
    let whole: unknown;
    try {
      whole = JSON.parse(trimmed);
    } catch {
      whole = undefined;
    }
    if (whole !== undefined && !Array.isArray(whole)) items.push({ value: whole, line: 1 });
    else {
      for (const [i, line] of trimmed.split('\n').entries()) {
        if (line.trim().length === 0) continue;
        try {
          items.push({ value: JSON.parse(line), line: i + 1 });
        } catch (cause) {
          throw new UsageError(`line ${i + 1} is not JSON: ${describeError(cause)}`, {
            hint: 'give one JSON event, a JSON array, or one event per line (NDJSON); --raw publishes lines as they are',
          });
        }
      }
    }
  }
  return items.map(({ value, line }) => {
    let event: CloudEvent;
    try {
      event = asCloudEvent(value);
    } catch (cause) {
      throw new UsageError(`event ${line}: ${describeError(cause)}`, {
        hint: 'events need "id", "type" and "source" (CloudEvents 1.0); --raw publishes them unchecked',
      });
    }
    return { text: JSON.stringify(event), key: keyOf(event, options.partitionKey) };
  });
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
  return {
    specversion: '1.0',
    id: fields.id ?? randomUUID(),
    source: fields.source ?? '/agentctl/cli',
    type: fields.type,
    time: new Date().toISOString(),
    ...(fields.subject === undefined ? {} : { subject: fields.subject }),
    ...(data === undefined ? {} : { datacontenttype: 'application/json', data }),
  };
}

export interface PublishResult {
  readonly target: string;
  readonly published: number;
  /** Events per partition, where the target tells (the local log). */
  readonly partitions: Readonly<Record<string, number>>;
}

const encoder = new TextEncoder();

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
          .map((e) => ({ value: encoder.encode(e.text), ...(e.key === undefined ? {} : { key: e.key }) })),
      );
      for (const p of placed) partitions[p.partition] = (partitions[p.partition] ?? 0) + 1;
    }
    return { target: `local:${parsed.name}`, published: events.length, partitions };
  }
  if (parsed.kind === 'file') {
    const path = resolve(options.cwd ?? process.cwd(), parsed.name);
    await mkdir(dirname(path), { recursive: true });
    await appendFile(path, events.map((e) => `${e.text}\n`).join(''));
    return { target: parsed.display, published: events.length, partitions: { '0': events.length } };
  }
  const sink = await openSink(target, { store: options.store });
  if (sink === undefined) throw new UsageError(`cannot publish to ${parsed.display}`);
  try {
    const now = Date.now();
    const records: PublishRecord[] = events.map((e, i) => ({
      id: `publish-${now}-${i}`,
      value: encoder.encode(e.text),
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
