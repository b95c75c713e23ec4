import { type Clock, systemClock } from '../../clock.js';
import { describeError } from '../../errors/agentctl-error.js';
import { UsageError } from '../../errors/usage-error.js';
import { type CloudEvent, decodeCloudEvent, type EventDecoder } from '../../events/cloud-event.js';
import type { Where } from '../../filter/where.js';
import type { AttributeValue, Bytes, Partition, Position, StartPosition } from '../../types.js';
import { END_OF_PARTITION } from '../../types.js';
import { type LaneStart, PeekLanes } from './peek-lanes.js';
import type { PeekReader, PeekRecord } from './peek-reader.js';
import type { PeekRequest } from './peek-request.js';

/** One record as `peek` shows it: where it is, when it was stored, and its event or why there is none. */
export interface PeekedRecord {
  readonly partition: Partition;
  readonly position: Position;
  /** When the source stored it, ms since the epoch. */
  readonly timestamp: number;
  readonly key: string | undefined;
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  /** The bytes as stored. */
  readonly raw: Bytes;
  /** The decoded event; absent when the bytes could not be decoded (see `error`). */
  readonly event?: CloudEvent;
  /** Why the bytes are not an event (the decoder's message). */
  readonly error?: string;
  /** `--around-checkpoint`: at or before the group's checkpoint (processed or parked). */
  readonly done?: boolean;
  /** `--around-checkpoint`: the first record after the checkpoint, the one the agent is at. */
  readonly next?: boolean;
}

export interface PeekOptions {
  readonly reader: PeekReader;
  readonly request: PeekRequest;
  /** The agent's `decode` hook (default: CloudEvents JSON). */
  readonly decode?: EventDecoder;
  readonly where?: Where<PeekedRecord>;
  /**
   * The group's checkpoints, read once, for `--from checkpoint` and `--around-checkpoint`. Peek reads
   * them; it never writes one.
   */
  readonly checkpoints?: () => Promise<ReadonlyMap<Partition, Position>>;
  /** Ends a `follow` (and any read under way). */
  readonly signal?: AbortSignal;
  readonly clock?: Clock;
  /** Wait between reads at the head with `follow` (default 200 ms). */
  readonly idleMs?: number;
}

/**
 * Reads records of a source without touching it (`agentctl peek`, the console's peek around a
 * checkpoint): no commit, no lease, no checkpoint, no ack — `PeekReader` is read-only by contract.
 * Yields records in stored-time order across partitions (one partition after the other with `around`),
 * decoded with the agent's decoder; a record that does not decode is yielded with the reason, never
 * dropped or fatal. `key` and `where` filter; `limit` counts what is yielded. Ends at the end of data
 * (or `end`), or, with `follow`, when `signal` aborts.
 * @throws UsageError for a partition the source does not have, or a position start without a partition
 *   where positions belong to one partition.
 */
export async function* peek(options: PeekOptions): AsyncGenerator<PeekedRecord> {
  const { reader, request, signal } = options;
  const clock = options.clock ?? systemClock;
  const decode = options.decode ?? decodeCloudEvent;
  const partitions = await reader.partitions(signal);
  checkPartitions(
    request,
    partitions.map((p) => p.id),
    reader,
  );
  const needCheckpoints = request.around !== undefined || request.start.kind === 'checkpoint';
  const checkpoints = needCheckpoints && options.checkpoints ? await options.checkpoints() : new Map();
  const backs = new Map<Partition, StartPosition>();
  if (request.around !== undefined && reader.back !== undefined) {
    for (const [partition, position] of checkpoints) {
      if (position === END_OF_PARTITION || request.around.before === 0) continue;
      backs.set(partition, await reader.back(partition, position, request.around.before));
    }
  }
  const lanes = new PeekLanes({
    reader,
    partitions,
    ...(request.partitions === undefined ? {} : { only: request.partitions }),
    order: request.around === undefined ? 'time' : 'partition',
    follow: request.follow === true,
    startOf: (partition, initial) => startOf(request, partition, initial, checkpoints, backs),
  });
  const after = new Map<Partition, number>();
  let yielded = 0;
  const limit = request.around === undefined ? request.limit : undefined;
  while (limit === undefined || yielded < limit) {
    const record = await lanes.next(limit === undefined ? 500 : limit - yielded, signal);
    if (record === undefined) {
      if (!request.follow || lanes.finished || signal?.aborted) return;
      await clock.sleep(options.idleMs ?? 200, signal).catch(() => undefined);
      continue;
    }
    const end = request.end;
    if (end !== undefined) {
      const past =
        end.kind === 'time' ? record.timestamp > end.ms : reader.compare(record.position, end.position) > 0;
      if (past) {
        lanes.finish(record.partition);
        continue;
      }
    }
    let marks: { done?: boolean; next?: boolean } = {};
    if (request.around !== undefined) {
      const checkpoint = checkpoints.get(record.partition);
      const done = checkpoint !== undefined && reader.compare(record.position, checkpoint) <= 0;
      if (!done) {
        const count = (after.get(record.partition) ?? 0) + 1;
        after.set(record.partition, count);
        if (count > request.around.after) {
          lanes.finish(record.partition);
          continue;
        }
        marks = count === 1 ? { done: false, next: true } : { done: false };
      } else marks = { done: true };
    }
    if (request.key !== undefined && record.key !== request.key) continue;
    const peeked = { ...decoded(record, decode), ...marks };
    if (options.where !== undefined && !options.where.matches(peeked)) continue;
    yielded++;
    yield peeked;
  }
}

/** Where a partition starts for the request (see `PeekStart`, `AroundCheckpoint`). */
function startOf(
  request: PeekRequest,
  partition: Partition,
  initial: boolean,
  checkpoints: ReadonlyMap<Partition, Position>,
  backs: ReadonlyMap<Partition, StartPosition>,
): LaneStart {
  const checkpoint = checkpoints.get(partition);
  if (request.around !== undefined || request.start.kind === 'checkpoint') {
    // A partition read to its end (a closed shard) has nothing after its checkpoint.
    if (checkpoint === END_OF_PARTITION) return 'skip';
    if (checkpoint === undefined) return { kind: 'earliest' };
    return backs.get(partition) ?? { kind: 'after', position: checkpoint };
  }
  const start = request.start;
  switch (start.kind) {
    case 'earliest':
      return { kind: 'earliest' };
    case 'latest':
      // A child opened while reading was created after the start: all of it is new.
      return initial ? { kind: 'latest' } : { kind: 'earliest' };
    case 'time':
      return { kind: 'timestamp', ms: start.ms };
    case 'position':
      return initial ? { kind: 'at', position: start.position } : { kind: 'earliest' };
  }
}

function checkPartitions(request: PeekRequest, known: readonly Partition[], reader: PeekReader): void {
  for (const partition of request.partitions ?? []) {
    if (!known.includes(partition)) {
      throw new UsageError(`${reader.display} has no partition "${partition}"`, {
        hint: `its partitions: ${known.join(', ') || '(none)'}`,
      });
    }
  }
  if (
    request.start.kind === 'position' &&
    request.around === undefined &&
    reader.positionsPerPartition &&
    (request.partitions?.length ?? 0) !== 1 &&
    known.length > 1
  ) {
    throw new UsageError(`--from ${request.start.position}: a position belongs to one partition`, {
      hint: `give --partition too (one of ${known.join(', ')})`,
    });
  }
}

/** The record with its event, or with the reason it has none. */
function decoded(record: PeekRecord, decode: EventDecoder): PeekedRecord {
  const base = {
    partition: record.partition,
    position: record.position,
    timestamp: record.timestamp,
    key: record.key,
    attributes: record.attributes,
    raw: record.bytes,
  };
  if (record.corrupt !== undefined) return { ...base, error: record.corrupt };
  try {
    return { ...base, event: decode(record.bytes) };
  } catch (error) {
    return { ...base, error: describeError(error) };
  }
}
