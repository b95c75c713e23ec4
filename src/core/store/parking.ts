import { HEADERS_ATTRIBUTE, headersOfAttribute } from '../model/message-headers.js';
import type { RunRecord } from '../model/run-record.js';
import type { Bytes, FailureReason, Message, Partition, Position } from '../types.js';
import type { NewFailedMessage } from './records.js';

/**
 * The failed store's keys and items. Parking a message under a key it was parked under before (a
 * redelivery that fails again, here or on a remote worker) adds to that item instead of making a second
 * one — so every place that parks, or looks items up by key, builds the key and the item here: an event
 * the pipeline gave up on (`parkedEvent`), a record its sink refused (`parkedRecord`), a run that failed
 * on a remote worker (`parkedRemoteRun`).
 */

/**
 * An event that failed in `group` reading `source`. An event is identified by its CloudEvents source and
 * id together (ids are only unique per source).
 */
export function eventParkKey(
  group: string,
  source: string,
  event: { readonly source?: unknown; readonly id?: unknown },
): string {
  return `${group}|${source}|event:${String(event.source ?? '')}/${String(event.id)}`;
}

/** A message that could not be decoded into an event: known by where it was read. */
export function positionParkKey(group: string, source: string, partition: string, position: string): string {
  return `${group}|${source}|at:${partition}@${position}`;
}

/** A published record its sink refused for good: `publish/<sink>/<record id>`. */
export function recordParkKey(sink: string, recordId: string): string {
  return `${recordParkKeyPrefix(sink)}${recordId}`;
}

/** What the keys of every record parked for `sink` start with. */
export function recordParkKeyPrefix(sink: string): string {
  return `publish/${sink}/`;
}

/** The CloudEvent fields parking reads (an event, or a message payload that carries one). */
export interface ParkedEventLike {
  readonly id?: unknown;
  readonly type?: unknown;
  readonly source?: unknown;
}

/** Why the pipeline gave up on a message (see `InvalidMessage`). */
export interface PipelineFailure {
  readonly reason: FailureReason;
  /** The error as recorded (secrets redacted). */
  readonly error: string;
  readonly errorName?: string;
  readonly rule?: string;
  readonly process?: string;
  readonly runId?: string;
  readonly attempts: number;
}

/** Where a message was read and who gave up on it. */
export interface ParkingSite {
  readonly group: string;
  readonly source: string;
  readonly failedAt: number;
  readonly via?: string;
}

/**
 * The item of a message the pipeline gave up on. Keyed by its event when the payload is (or carries) one,
 * else by where it was read; `attempts` is the broker's delivery count when that is higher (quorum queues
 * count deliveries).
 */
export function parkedEvent(
  message: Message<unknown>,
  failure: PipelineFailure,
  site: ParkingSite,
): NewFailedMessage {
  const event = eventOfPayload(message.payload);
  return {
    group: site.group,
    source: site.source,
    partition: message.partition,
    position: message.position,
    reason: failure.reason,
    kind: 'event',
    error: failure.error,
    ...(failure.errorName === undefined ? {} : { errorName: failure.errorName }),
    ...(failure.rule === undefined ? {} : { rule: failure.rule }),
    ...(failure.process === undefined ? {} : { process: failure.process }),
    ...(failure.runId === undefined ? {} : { runId: failure.runId }),
    ...(event ? { eventId: String(event.id), eventType: String(event.type) } : {}),
    ...originOf(message.attributes),
    attempts: Math.max(failure.attempts, Number(message.attributes.deliveryCount ?? 0) || 0),
    raw: message.raw,
    timestamp: message.timestamp,
    failedAt: site.failedAt,
    ...(site.via === undefined ? {} : { via: site.via }),
    key: event
      ? eventParkKey(site.group, site.source, event)
      : positionParkKey(site.group, site.source, message.partition, message.position),
  };
}

/**
 * What a redrive to the origin needs besides the bytes (`replay --failed --to-origin`): the message's
 * key where it was read — Kinesis partition key, local log key, AMQP routing key — as `recordKey`, and its
 * AMQP headers (see `headersAttribute`).
 */
function originOf(
  attributes: Message<unknown>['attributes'],
): Pick<NewFailedMessage, 'recordKey' | 'headers'> {
  const key = attributes.partitionKey ?? attributes.key ?? attributes.routingKey;
  const headers = headersOfAttribute(attributes[HEADERS_ATTRIBUTE]);
  if (key === undefined && headers === undefined) return {};
  return {
    ...(typeof key === 'string' ? { recordKey: key } : {}),
    ...(headers === undefined ? {} : { headers }),
  };
}

/** The event a payload is, or carries under `event` (a decoded message); undefined when it has none. */
export function eventOfPayload(payload: unknown): ParkedEventLike | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const inner = (payload as { event?: unknown }).event;
  const candidate = (typeof inner === 'object' && inner !== null ? inner : payload) as ParkedEventLike;
  return typeof candidate.id === 'string' && typeof candidate.type === 'string' ? candidate : undefined;
}

/** A published record as parking reads it (see `PublishRecord`). */
export interface ParkedRecordLike {
  readonly id: string;
  readonly key?: string;
  readonly value: Bytes;
  readonly headers?: Readonly<Record<string, string>>;
  readonly timestamp: number;
  readonly runId?: string;
  readonly origin?: { readonly source: string; readonly partition: Partition; readonly position: Position };
}

/** The sink a record was meant for, and who gave up on it. */
export interface RecordParkingSite {
  readonly group: string;
  /** The sink's name (no credentials). */
  readonly sink: string;
  /** Where replay finds the sink's URI again (never the URI). */
  readonly sinkRef?: string;
  readonly failedAt: number;
}

/** The item of a record its sink refused for good (reason `publish`), its bytes intact. */
export function parkedRecord(
  record: ParkedRecordLike,
  failure: { readonly error: string; readonly errorName?: string; readonly attempts: number },
  site: RecordParkingSite,
): NewFailedMessage {
  return {
    group: site.group,
    source: record.origin?.source ?? '',
    partition: record.origin?.partition ?? '',
    position: record.origin?.position ?? '',
    reason: 'publish',
    kind: 'record',
    error: failure.error,
    ...(failure.errorName === undefined ? {} : { errorName: failure.errorName }),
    ...(record.runId === undefined ? {} : { runId: record.runId }),
    sink: site.sink,
    ...(site.sinkRef === undefined ? {} : { sinkRef: site.sinkRef }),
    ...(record.key === undefined ? {} : { recordKey: record.key }),
    ...(record.headers === undefined ? {} : { headers: record.headers }),
    attempts: failure.attempts,
    raw: record.value,
    timestamp: record.timestamp,
    failedAt: site.failedAt,
    key: recordParkKey(site.sink, record.id),
  };
}

/**
 * The item of a run that failed on a remote worker (reason `task`), with the event the worker sent back,
 * keyed as the agent itself would park the event, so that `replay --failed` runs it again.
 */
export function parkedRemoteRun(
  run: RunRecord,
  event: ParkedEventLike,
  raw: Bytes,
  worker: string,
): NewFailedMessage {
  const source = run.origin?.source ?? '';
  return {
    group: run.group,
    source,
    partition: run.origin?.partition ?? '',
    position: run.origin?.position ?? '',
    reason: 'task',
    kind: 'event',
    error: run.error ?? 'run failed on a worker',
    rule: run.rule,
    process: run.process,
    runId: run.id,
    eventId: run.eventId,
    eventType: run.eventType,
    attempts: run.attempts,
    raw,
    timestamp: run.createdAt,
    failedAt: run.finishedAt ?? run.updatedAt,
    via: `worker ${worker}`,
    key: eventParkKey(run.group, source, event),
  };
}
