/**
 * Shared value types of the engine. Everything here is plain data: no behaviour, no I/O.
 */

/** A source's unit of ordering and assignment: a Kinesis shard id, an AMQP queue, a local log partition. */
export type Partition = string;

/**
 * A source's own coordinate of a message inside its partition, as an opaque string: a local log offset
 * (`"41"`), a Kinesis sequence number with its subsequence (`"4959…:3"`), an AMQP stream offset, or an
 * AMQP delivery tag with its channel generation (`"2:118"`). Ordered within a partition by the source
 * (see `Source.compare`); the engine itself only relies on the order in which a source delivers messages.
 */
export type Position = string;

/** Raw bytes as they came off the wire. */
export type Bytes = Uint8Array;

export type AttributeValue = string | number | boolean;

/** A source coordinate: where one source message lives. */
export interface Offset {
  readonly partition: Partition;
  readonly position: Position;
}

/**
 * One message travelling through a strategy pipeline. A strategy that transforms the payload keeps the
 * coordinates and `raw` (see `withPayload`), so a failure anywhere can be parked whole.
 */
export interface Message<T> extends Offset {
  readonly payload: T;
  /** The bytes read from the source, kept until the message is committed. */
  readonly raw: Bytes;
  /** Milliseconds since the epoch at which the source stored the message. */
  readonly timestamp: number;
  /** Source metadata: partition key, routing key, delivery count, headers. */
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  /**
   * The source messages this message stands for when it is not itself one (a batch or a reduction).
   * Absent for a message that stands for its own `partition`/`position`.
   */
  readonly covers?: readonly Offset[];
  /**
   * The payload's UTF-8 text, when the source read it as text (the local log): valid UTF-8, of which
   * `payload` and `raw` are the exact bytes. A decoder may parse it instead of decoding the bytes again.
   * A derived message (`withPayload`) does not carry it: its payload is something else.
   */
  readonly text?: string;
}

/** A derived message: same coordinates, raw bytes and attributes, new payload. */
export function withPayload<T, U>(message: Message<T>, payload: U): Message<U> {
  return {
    partition: message.partition,
    position: message.position,
    payload,
    raw: message.raw,
    timestamp: message.timestamp,
    attributes: message.attributes,
    ...(message.covers === undefined ? {} : { covers: message.covers }),
  };
}

/** The source coordinates a message stands for. */
export function offsetsOf(message: Message<unknown>): readonly Offset[] {
  return message.covers ?? [message];
}

/**
 * Where to start reading a partition that has no checkpoint (or, for `replay --from`, the range start).
 * `after` resumes behind a committed position; `at` includes the given position.
 */
export type StartPosition =
  | { readonly kind: 'earliest' }
  | { readonly kind: 'latest' }
  | { readonly kind: 'after'; readonly position: Position }
  | { readonly kind: 'at'; readonly position: Position }
  | { readonly kind: 'timestamp'; readonly ms: number };

/** Why a message was parked in the failed store. */
export type FailureReason = 'decode' | 'rule' | 'process' | 'publish' | 'task';

export const FAILURE_REASONS: readonly FailureReason[] = ['decode', 'rule', 'process', 'publish', 'task'];

/** The special checkpoint of a partition that was read to its end (a closed Kinesis shard). */
export const END_OF_PARTITION: Position = 'END';
