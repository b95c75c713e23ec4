import { EventStreamCodec } from '@smithy/eventstream-codec';

/**
 * The wire format of a `SubscribeToShard` response, encoded by the SDK's own event-stream codec: each
 * message is a prelude, headers (`:message-type`, `:event-type` or `:exception-type`, `:content-type`), a
 * JSON payload and CRCs — what Kinesis sends over HTTP/2, and what the SDK's client decodes.
 */
const codec = new EventStreamCodec(
  (bytes) => Buffer.from(bytes).toString('utf8'),
  (text) => new Uint8Array(Buffer.from(text, 'utf8')),
);

function str(value: string) {
  return { type: 'string' as const, value };
}

/** An `event` message of type `eventType` (`initial-response`, `SubscribeToShardEvent`). */
export function eventFrame(eventType: string, payload: unknown): Uint8Array {
  return codec.encode({
    headers: {
      ':message-type': str('event'),
      ':event-type': str(eventType),
      ':content-type': str('application/json'),
    },
    body: new Uint8Array(Buffer.from(JSON.stringify(payload), 'utf8')),
  });
}

/** A modelled `exception` message (`ResourceInUseException`, `InternalFailureException`, …). */
export function exceptionFrame(exceptionType: string, message: string): Uint8Array {
  return codec.encode({
    headers: {
      ':message-type': str('exception'),
      ':exception-type': str(exceptionType),
      ':content-type': str('application/json'),
    },
    body: new Uint8Array(Buffer.from(JSON.stringify({ message }), 'utf8')),
  });
}

/** A record as Kinesis's JSON protocol carries it (`Data` base64, the timestamp in epoch seconds). */
export interface WireRecord {
  readonly SequenceNumber: string;
  readonly ApproximateArrivalTimestamp?: number;
  readonly Data: string;
  readonly PartitionKey: string;
}

/** The payload of one `SubscribeToShardEvent`; no `ContinuationSequenceNumber` means the shard's end. */
export interface ShardEvent {
  readonly Records: readonly WireRecord[];
  readonly ContinuationSequenceNumber?: string;
  readonly MillisBehindLatest: number;
  readonly ChildShards?: readonly {
    readonly ShardId: string;
    readonly ParentShards: readonly string[];
    readonly HashKeyRange: { readonly StartingHashKey: string; readonly EndingHashKey: string };
  }[];
}
