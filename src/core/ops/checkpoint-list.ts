import { type Clock, systemClock } from '../clock.js';
import type { Checkpointing, PartitionState, PartitionStatus, Source } from '../sources/source.js';
import type { Checkpoint } from '../store/records.js';
import type { StateStore } from '../store/state-store.js';
import { END_OF_PARTITION, type Partition, type Position } from '../types.js';
import { type LiveOwner, liveOwners, ownedState } from './partition-owners.js';

/**
 * What `checkpoint list` and the console show of checkpoints: the stored ones, joined (for one group)
 * with the source's own view of every partition, and with each partition's live owner.
 */

/** One partition's checkpoint, joined with where the source stands when the source was given. */
export interface CheckpointRow {
  readonly group: string;
  readonly source: string;
  readonly partition: Partition;
  /**
   * The committed position; absent when there is none (the partition is read from its start) or when
   * the broker keeps the position (`keptBy: 'broker'`).
   */
  readonly position?: Position;
  /** Who keeps the position: the store (a checkpoint) or the broker (an AMQP queue: acked messages are gone). */
  readonly keptBy: Checkpointing;
  readonly updatedAt?: number;
  /** Who wrote the checkpoint: an agent id, or `operator`. */
  readonly writtenBy?: string;
  readonly latest?: Position;
  readonly lagRecords?: number;
  readonly lagMs?: number;
  /** The running agent holding the partition's lease, if any. */
  readonly owner?: string;
  readonly state?: PartitionState;
}

export interface ListCheckpointsOptions {
  /** The consumer group; ignored with `all`. */
  readonly group?: string;
  /** Every group's checkpoints (of `source` only, when given), without the source's live view. */
  readonly all?: boolean;
  /** Joins each partition with `describe()` (latest, lag) unless `all`; also filters by its id. */
  readonly source?: Source;
  readonly clock?: Clock;
}

/** Partitions in natural order (`shard-2` before `shard-10`). */
export const byPartition = (a: Partition, b: Partition) => a.localeCompare(b, undefined, { numeric: true });

/**
 * Checkpoints by group, source and partition. With a source (and not `all`), every partition the source
 * describes is listed, with or without a checkpoint, with its latest position, lag, owner and state.
 */
export async function listCheckpoints(
  store: StateStore,
  options: ListCheckpointsOptions = {},
): Promise<CheckpointRow[]> {
  const { source, clock } = options;
  const all = options.all === true;
  const stored = await store.checkpoints.list({
    ...(all || options.group === undefined ? {} : { group: options.group }),
    ...(source === undefined ? {} : { source: source.id }),
  });
  const rows: CheckpointRow[] = [];
  if (source !== undefined && !all && options.group !== undefined) {
    const mine = new Map(stored.map((c) => [c.partition, c]));
    for (const status of await source.describe()) {
      const checkpoint = source.checkpointing === 'store' ? mine.get(status.partition) : undefined;
      rows.push(joinStatus(options.group, source, checkpoint, status));
      mine.delete(status.partition);
    }
    rows.push(...[...mine.values()].map(rowOf));
  } else {
    rows.push(...stored.map(rowOf));
  }
  const now = (clock ?? systemClock).now();
  const owned = new Map<string, Map<Partition, LiveOwner>>();
  const withOwners: CheckpointRow[] = [];
  for (const row of rows) {
    const key = `${row.group}\n${row.source}`;
    if (!owned.has(key)) owned.set(key, await liveOwners(store, row.group, row.source, { now }));
    const owner = owned.get(key)?.get(row.partition);
    withOwners.push(
      owner === undefined ? row : { ...row, owner: owner.agent, state: ownedState(row.state, owner) },
    );
  }
  return withOwners.sort(
    (a, b) =>
      a.group.localeCompare(b.group) ||
      a.source.localeCompare(b.source) ||
      byPartition(a.partition, b.partition),
  );
}

function rowOf(checkpoint: Checkpoint): CheckpointRow {
  return {
    group: checkpoint.group,
    source: checkpoint.source,
    partition: checkpoint.partition,
    position: checkpoint.position,
    keptBy: 'store',
    updatedAt: checkpoint.updatedAt,
    ...(checkpoint.owner === undefined ? {} : { writtenBy: checkpoint.owner }),
    ...(checkpoint.position === END_OF_PARTITION ? { state: 'ended' as const } : {}),
  };
}

function joinStatus(
  group: string,
  source: Source,
  checkpoint: Checkpoint | undefined,
  status: PartitionStatus,
): CheckpointRow {
  const base: CheckpointRow =
    checkpoint === undefined
      ? { group, source: source.id, partition: status.partition, keptBy: source.checkpointing }
      : rowOf(checkpoint);
  return {
    ...base,
    ...(status.latest === undefined ? {} : { latest: status.latest }),
    ...(status.lagRecords === undefined ? {} : { lagRecords: status.lagRecords }),
    ...(status.lagMs === undefined ? {} : { lagMs: status.lagMs }),
    state: base.state ?? status.state,
  };
}
