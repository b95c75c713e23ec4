import type { Shard } from '@aws-sdk/client-kinesis';
import { END_OF_PARTITION, type Partition, type Position } from '../../types.js';
import type { PartitionInfo, PartitionState, PartitionStatus } from '../source.js';
import type { ShardReaderStatus } from './buffered-shard-reader.js';
import type { StreamConsumer } from './stream-consumer.js';

/** What a row needs of a shard's reader (polling or enhanced fan-out). */
interface ReaderView {
  readonly isPaused: boolean;
  status(): ShardReaderStatus;
}

/**
 * `describe`'s rows for the listed shards: the committed position, the latest sequence number fetched,
 * `MillisBehindLatest` as `lagMs`, the state — `reading`/`paused` while assigned, `ended` once read to its
 * end, `waiting` for a child whose parents are not finished, else `unassigned` — and in `detail` the
 * parents, the reader's counters and, with enhanced fan-out, the stream consumer's name and ARN.
 */
export function shardRows(
  shards: readonly PartitionInfo[],
  committedOf: (id: Partition) => Position | undefined,
  readerOf: (id: Partition) => ReaderView | undefined,
  consumer: StreamConsumer | undefined,
): PartitionStatus[] {
  const listed = new Set(shards.map((s) => s.id));
  const finished = (id: Partition) => !listed.has(id) || committedOf(id) === END_OF_PARTITION;
  return shards.map((info) => {
    const reader = readerOf(info.id);
    const committed = committedOf(info.id);
    const status = reader?.status();
    const parents = info.parents ?? [];
    let state: PartitionState;
    if (committed === END_OF_PARTITION || status?.ended) state = 'ended';
    else if (reader !== undefined) state = reader.isPaused ? 'paused' : 'reading';
    else if (!parents.every(finished)) state = 'waiting';
    else state = 'unassigned';
    return {
      partition: info.id,
      state,
      ...(committed === undefined ? {} : { committed }),
      ...(status?.latest === undefined ? {} : { latest: status.latest }),
      ...(status?.lagMs === undefined ? {} : { lagMs: status.lagMs }),
      detail: {
        ...(parents.length === 0 ? {} : { parents: parents.join(',') }),
        closed: info.closed === true,
        ...(status === undefined
          ? {}
          : {
              buffered: status.buffered,
              expiredIterators: status.expiredIterators,
              throttled: status.throttled,
              ...(status.retrying === undefined ? {} : { retrying: status.retrying }),
              ...(status.subscriptions === undefined ? {} : { subscriptions: status.subscriptions }),
            }),
        ...(consumer === undefined ? {} : { consumer: consumer.name, consumerArn: consumer.arn }),
      },
    };
  });
}

/** A listed shard as a partition: its parents, and whether it is closed (it has an ending sequence number). */
export function partitionOf(shard: Shard): PartitionInfo {
  const parents = [shard.ParentShardId, shard.AdjacentParentShardId].filter(
    (p): p is string => p !== undefined && p !== '',
  );
  return {
    id: shard.ShardId ?? '',
    ...(parents.length === 0 ? {} : { parents }),
    ...(shard.SequenceNumberRange?.EndingSequenceNumber === undefined ? {} : { closed: true }),
  };
}
