import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { Http2ServerResponse } from 'node:http2';
import { setTimeout as delay } from 'node:timers/promises';
import { eventFrame, exceptionFrame, type ShardEvent, type WireRecord } from './kinesis-efo-frames.js';

/** A JSON call to kinesalite (`GetShardIterator`, `GetRecords`, `ListShards`). */
export type KinesaliteCall = <T>(operation: string, body: unknown) => Promise<T>;

/** A fault the test server injects into the next subscription of a shard. */
export type SubscriptionFault =
  /** Refuse the `SubscribeToShard` call itself (HTTP 400 with this error type). */
  | { readonly kind: 'refuse'; readonly error: string }
  /** Send this exception as an event-stream message after `afterEvents` record-carrying events, then end. */
  | { readonly kind: 'exception'; readonly error: string; readonly afterEvents: number }
  /** Reset the HTTP/2 stream after `afterEvents` record-carrying events (a network failure mid-stream). */
  | { readonly kind: 'reset'; readonly afterEvents: number };

export interface StartingPosition {
  readonly Type: string;
  readonly SequenceNumber?: string;
  readonly Timestamp?: number;
}

export interface SubscriptionSettings {
  /** How long a subscription lasts before the server ends it (Kinesis: 5 minutes). */
  readonly subscriptionMs: number;
  /** Wait between kinesalite reads while the shard is at its tip. */
  readonly pollMs: number;
  /** Most time without an event while idle (Kinesis sends one about every 5 s). */
  readonly heartbeatMs: number;
  /** `Limit` of each kinesalite read, i.e. most records in one event. */
  readonly maxRecordsPerEvent: number;
  /** Subscriptions started at or before this time (ms) end now, as if their 5 minutes were up. */
  readonly endStartedBefore: number;
}

interface ShardJson {
  readonly ShardId: string;
  readonly ParentShardId?: string;
  readonly AdjacentParentShardId?: string;
  readonly HashKeyRange: { readonly StartingHashKey: string; readonly EndingHashKey: string };
  readonly SequenceNumberRange: { readonly StartingSequenceNumber: string };
}

interface RecordsJson {
  readonly Records: WireRecord[];
  readonly NextShardIterator?: string | null;
  readonly MillisBehindLatest?: number;
}

type Response = ServerResponse | Http2ServerResponse;

/**
 * Serves one subscription: reads the shard from kinesalite from `start` and writes `SubscribeToShardEvent`
 * messages — one per read that found records, one when the tip is reached and then one every
 * `heartbeatMs` while idle — each with the sequence number to continue after; at a closed shard's end, a
 * last event without `ContinuationSequenceNumber` and with the `ChildShards`. Ends the response after
 * `subscriptionMs` (or when told to), on a fault, or when the client goes away. Honours HTTP/2 flow control (waits for
 * `drain`), so a client that stops reading stops the reads from kinesalite.
 */
export async function serveSubscription(
  call: KinesaliteCall,
  res: Response,
  stream: string,
  shard: string,
  start: StartingPosition,
  settings: SubscriptionSettings,
  fault: SubscriptionFault | undefined,
): Promise<void> {
  let gone = false;
  res.on('close', () => {
    gone = true;
  });
  const write = async (frame: Uint8Array) => {
    if (gone) return;
    if (!(res as ServerResponse).write(frame)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
  };
  const shards = (await call<{ Shards: ShardJson[] }>('ListShards', { StreamName: stream })).Shards;
  const self = shards.find((s) => s.ShardId === shard);
  let continuation = await firstContinuation(call, stream, shard, start, self);
  let iterator = (
    await call<{ ShardIterator?: string }>('GetShardIterator', {
      StreamName: stream,
      ShardId: shard,
      ShardIteratorType: start.Type,
      ...(start.SequenceNumber === undefined ? {} : { StartingSequenceNumber: start.SequenceNumber }),
      ...(start.Timestamp === undefined ? {} : { Timestamp: start.Timestamp }),
    })
  ).ShardIterator;
  res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream' });
  await write(eventFrame('initial-response', {}));
  const startedAt = Date.now();
  // Read on every turn: a test may shorten the limit, or end subscriptions, while this one is open.
  const open = () =>
    Date.now() < startedAt + settings.subscriptionMs && startedAt > settings.endStartedBefore;
  let sent = 0;
  let lastSentAt = 0;
  let idleBefore = false;
  while (!gone && open()) {
    if (fault !== undefined && fault.kind !== 'refuse' && sent >= fault.afterEvents) {
      if (fault.kind === 'exception') {
        await write(exceptionFrame(fault.error, `injected ${fault.error}`));
        res.end();
      } else {
        (res as Http2ServerResponse).stream?.close(2 /* INTERNAL_ERROR */);
      }
      return;
    }
    if (iterator === undefined) {
      await write(eventFrame('SubscribeToShardEvent', endEvent(shards, shard)));
      res.end();
      return;
    }
    const out = await call<RecordsJson>('GetRecords', {
      ShardIterator: iterator,
      Limit: settings.maxRecordsPerEvent,
    });
    const records = out.Records;
    iterator = out.NextShardIterator ?? undefined;
    if (records.length > 0) continuation = records[records.length - 1]!.SequenceNumber;
    const atTip = records.length === 0 && (out.MillisBehindLatest ?? 0) === 0;
    if (iterator === undefined) {
      await write(eventFrame('SubscribeToShardEvent', { ...endEvent(shards, shard), Records: records }));
      res.end();
      return;
    }
    const heartbeat = Date.now() - lastSentAt >= settings.heartbeatMs;
    if (continuation !== undefined && (records.length > 0 || !idleBefore || heartbeat)) {
      const event: ShardEvent = {
        Records: records,
        ContinuationSequenceNumber: continuation,
        MillisBehindLatest: out.MillisBehindLatest ?? 0,
      };
      await write(eventFrame('SubscribeToShardEvent', event));
      lastSentAt = Date.now();
      if (records.length > 0) sent++;
    }
    idleBefore = atTip;
    if (atTip) await delay(settings.pollMs);
  }
  res.end();
}

/** The last event of a closed shard read to its end: no continuation, its children. */
function endEvent(shards: readonly ShardJson[], shard: string): ShardEvent {
  const children = shards.filter((s) => s.ParentShardId === shard || s.AdjacentParentShardId === shard);
  return {
    Records: [],
    MillisBehindLatest: 0,
    ChildShards: children.map((c) => ({
      ShardId: c.ShardId,
      ParentShards: [c.ParentShardId, c.AdjacentParentShardId].filter((p): p is string => p !== undefined),
      HashKeyRange: c.HashKeyRange,
    })),
  };
}

/**
 * What to continue after before any record was sent: the starting sequence number for `AFTER_…`; the
 * shard's starting sequence number for `TRIM_HORIZON` (every record comes after it); for `LATEST`, the
 * last record in the shard now. For `AT_…` and `AT_TIMESTAMP`, nothing: no event is sent until a record is
 * (a limitation of this test server; Kinesis itself always knows a position).
 */
async function firstContinuation(
  call: KinesaliteCall,
  stream: string,
  shard: string,
  start: StartingPosition,
  self: ShardJson | undefined,
): Promise<string | undefined> {
  switch (start.Type) {
    case 'AFTER_SEQUENCE_NUMBER':
      return start.SequenceNumber;
    case 'TRIM_HORIZON':
      return self?.SequenceNumberRange.StartingSequenceNumber;
    case 'LATEST': {
      let last = self?.SequenceNumberRange.StartingSequenceNumber;
      let iterator = (
        await call<{ ShardIterator?: string }>('GetShardIterator', {
          StreamName: stream,
          ShardId: shard,
          ShardIteratorType: 'TRIM_HORIZON',
        })
      ).ShardIterator;
      while (iterator !== undefined) {
        const out = await call<RecordsJson>('GetRecords', { ShardIterator: iterator, Limit: 10_000 });
        if (out.Records.length === 0) break;
        last = out.Records[out.Records.length - 1]!.SequenceNumber;
        iterator = out.NextShardIterator ?? undefined;
      }
      return last;
    }
    default:
      return undefined;
  }
}
