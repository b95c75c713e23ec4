import { GetRecordsCommand, GetShardIteratorCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { type Clock, systemClock } from '../../clock.js';
import { compareKinesisPositions } from '../../sources/kinesis/kinesis-position.js';
import { ShardBuffer } from '../../sources/kinesis/shard-buffer.js';
import { partitionOf } from '../../sources/kinesis/shard-rows.js';
import { shardStart } from '../../sources/kinesis/shard-start.js';
import { checkStream, listShards } from '../../sources/kinesis/stream-calls.js';
import type { Bytes, Message, Partition, Position, StartPosition } from '../../types.js';
import type { PeekBatch, PeekCursor, PeekPartition, PeekReader, PeekRecord } from './peek-reader.js';

export interface KinesisPeekReaderOptions {
  readonly client: KinesisClient;
  readonly stream: string;
  /** The source URI, credentials redacted. */
  readonly display: string;
  /** Empty answers in a row a read accepts while the shard is still behind its tip (default 5). */
  readonly emptyReads?: number;
  readonly clock?: Clock;
}

/**
 * Peeks at a Kinesis stream with `GetShardIterator` (TRIM_HORIZON, LATEST, AT_TIMESTAMP,
 * AT/AFTER_SEQUENCE_NUMBER) and `GetRecords` whose `Limit` is what the caller still wants — a peek from
 * `-1h` starts at that time and asks for no more than it prints. Shards are listed with their parents, so
 * `PeekLanes` reads a closed shard to its end before its children. KPL aggregates are split into their
 * user records (`sequence:sub`); a corrupt one is one record with the reason. No lease, no checkpoint:
 * only read calls are made.
 */
export class KinesisPeekReader implements PeekReader {
  readonly sourceId: string;
  readonly display: string;
  readonly positionsPerPartition = true;
  private readonly controller = new AbortController();
  private checked = false;

  constructor(private readonly options: KinesisPeekReaderOptions) {
    // The id `KinesisSource` has: checkpoints are keyed by it.
    this.sourceId = `kinesis://${options.stream}`;
    this.display = options.display;
  }

  async partitions(signal?: AbortSignal): Promise<PeekPartition[]> {
    const { client, stream, display } = this.options;
    const callSignal = signal ?? this.controller.signal;
    if (!this.checked) await checkStream(client, stream, display, callSignal);
    this.checked = true;
    return (await listShards(client, stream, callSignal)).map(partitionOf);
  }

  async open(shard: Partition, start: StartPosition, signal?: AbortSignal): Promise<PeekCursor> {
    const { client, stream } = this.options;
    const from = shardStart(start);
    const buffer = new ShardBuffer(shard, this.options.clock ?? systemClock);
    if (from === undefined) return { read: async () => ({ records: [], ended: true }) };
    buffer.skipFirst(from.skip);
    const out = await client.send(
      new GetShardIteratorCommand({ StreamName: stream, ShardId: shard, ...from.request }),
      { abortSignal: signal ?? this.controller.signal },
    );
    let iterator = out.ShardIterator;
    const emptyReads = this.options.emptyReads ?? 5;
    return {
      async read(max: number, readSignal?: AbortSignal): Promise<PeekBatch> {
        for (let empty = 0; iterator !== undefined && empty < emptyReads; empty++) {
          const response = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: max }), {
            ...(readSignal === undefined ? {} : { abortSignal: readSignal }),
          });
          iterator = response.NextShardIterator ?? undefined;
          for (const record of response.Records ?? []) buffer.push(record);
          // Kinesis may answer empty while records lie further on (MillisBehindLatest > 0): ask again.
          if (buffer.size > 0 || (response.MillisBehindLatest ?? 0) === 0) break;
        }
        const messages: Message<Bytes>[] = [];
        buffer.take(buffer.size, messages);
        return { records: messages.map(toRecord), ended: iterator === undefined };
      },
    };
  }

  compare(a: Position, b: Position): number {
    return compareKinesisPositions(a, b);
  }

  async close(): Promise<void> {
    this.controller.abort();
    this.options.client.destroy();
  }
}

function toRecord(message: Message<Bytes>): PeekRecord {
  const { partitionKey, kplError } = message.attributes;
  return {
    partition: message.partition,
    position: message.position,
    timestamp: message.timestamp,
    key: typeof partitionKey === 'string' ? partitionKey : undefined,
    attributes: message.attributes,
    bytes: message.raw,
    ...(typeof kplError === 'string' ? { corrupt: `corrupt KPL aggregate: ${kplError}` } : {}),
  };
}
