import type { _Record as KinesisRecord } from '@aws-sdk/client-kinesis';
import type { Clock } from '../../clock.js';
import { Fifo } from '../../fifo.js';
import type { AttributeValue, Bytes, Message, Partition } from '../../types.js';
import { formatKinesisPosition } from './kinesis-position.js';
import { deaggregate } from './kpl.js';

/** User records of the aggregate at `sequence` whose subsequence is ≤ `through` are left out (as the KCL does). */
export interface AggregateSkip {
  readonly sequence: string;
  readonly through: number;
}

const NO_ATTRIBUTES: Readonly<Record<string, AttributeValue>> = Object.freeze({});

/**
 * The records one shard reader fetched and the processor has not taken yet, as messages — the part of
 * reading a shard that is the same whether the records came from `GetRecords` polling or from a
 * `SubscribeToShard` event stream: positions (`sequence`, or `sequence:sub` for a user record of a KPL
 * aggregate), KPL de-aggregation (a corrupt aggregate is one message at `sequence`, whole, with
 * `kplError`), the partition key attributes, and leaving out the user records of a partly done aggregate
 * when reading restarts at it.
 */
export class ShardBuffer {
  private readonly fifo = new Fifo<Message<Bytes>>();
  private skip: AggregateSkip | undefined;
  private last: string | undefined;

  constructor(
    private readonly shard: Partition,
    private readonly clock: Clock,
  ) {}

  /** Messages buffered and not taken yet. */
  get size(): number {
    return this.fifo.size;
  }

  /** The sequence number of the last record pushed (whole record, aggregates included). */
  get lastSequence(): string | undefined {
    return this.last;
  }

  /** Leave out the user records of the aggregate at `skip.sequence` through `skip.through`, if it comes first. */
  skipFirst(skip: AggregateSkip | undefined): void {
    this.skip = skip;
  }

  /** Buffers one Kinesis record: one message, or one per user record of a KPL aggregate. */
  push(record: KinesisRecord): void {
    const sequence = record.SequenceNumber ?? '';
    const data = record.Data ?? new Uint8Array(0);
    const timestamp = record.ApproximateArrivalTimestamp?.getTime() ?? this.clock.now();
    const key = record.PartitionKey;
    const partition = this.shard;
    const skip = this.skip;
    // A read restarted AT the sequence of a partly done aggregate returns that aggregate first; past it,
    // nothing is skipped any more.
    this.skip = undefined;
    this.last = sequence;
    const unpacked = deaggregate(data);
    if (unpacked.kind === 'aggregated') {
      const through = skip?.sequence === sequence ? skip.through : -1;
      const users = unpacked.records;
      for (let sub = through + 1; sub < users.length; sub++) {
        const user = users[sub]!;
        this.fifo.push({
          partition,
          position: formatKinesisPosition(sequence, sub),
          payload: user.data,
          raw: user.data,
          timestamp,
          attributes:
            user.explicitHashKey === undefined
              ? { partitionKey: user.partitionKey }
              : { partitionKey: user.partitionKey, explicitHashKey: user.explicitHashKey },
        });
      }
      return;
    }
    this.fifo.push({
      partition,
      position: sequence,
      payload: data,
      raw: data,
      timestamp,
      attributes:
        unpacked.kind === 'corrupt'
          ? { ...(key === undefined ? {} : { partitionKey: key }), kplError: unpacked.reason }
          : key === undefined
            ? NO_ATTRIBUTES
            : { partitionKey: key },
    });
  }

  /** Moves up to `max` buffered messages into `out`; returns how many. */
  take(max: number, out: Message<Bytes>[]): number {
    return this.fifo.takeInto(max, out);
  }

  clear(): void {
    this.fifo.clear();
  }
}
