import { type Clock, systemClock } from '../clock.js';
import { NotFoundError } from '../errors/not-found-error.js';
import { UsageError } from '../errors/usage-error.js';
import type { Source } from '../sources/source.js';
import type { CheckpointWrite } from '../store/records.js';
import type { StateStore } from '../store/state-store.js';
import type { Partition, Position } from '../types.js';
import { byPartition } from './checkpoint-list.js';
import { type LiveOwner, liveOwners } from './partition-owners.js';

/**
 * Checkpoints an operator moves (`checkpoint set`, `checkpoint reset`, the console's checkpoint actions): each move is
 * checked against the source (known partition, orderable position, not beyond the latest) and refused
 * on partitions a running agent owns unless forced; it is written with `operator` as its writer and
 * reports every partition's position before and after.
 */

/** Who is recorded as the writer of checkpoints set by an operator. */
export const OPERATOR = 'operator';

/** What a `set` or `reset` changed, partition by partition. */
export interface CheckpointChange {
  readonly partition: Partition;
  readonly before?: Position;
  /** Absent when the checkpoint was deleted (the partition is read from its start next time). */
  readonly after?: Position;
}

export interface CheckpointChangeResult {
  readonly group: string;
  readonly source: string;
  readonly changes: readonly CheckpointChange[];
  /** Partitions that a running agent owned and that were changed anyway (`force`). */
  readonly forced: readonly LiveOwner[];
}

export interface SetCheckpointOptions {
  readonly group: string;
  readonly source: Source;
  readonly partition: Partition;
  readonly position: Position;
  /** Change it even while a running agent owns the partition. */
  readonly force?: boolean;
  readonly clock?: Clock;
}

export interface ResetCheckpointsOptions {
  readonly group: string;
  readonly source: Source;
  /** Default: every partition the source knows or that has a checkpoint. */
  readonly partitions?: readonly Partition[];
  /** `earliest` deletes the checkpoint; `latest` moves it to the source's latest position. */
  readonly to: 'earliest' | 'latest';
  readonly force?: boolean;
  readonly clock?: Clock;
}

/**
 * Moves one partition's checkpoint to `position` (the next read starts after it).
 * @throws NotFoundError when the source has no such partition.
 * @throws UsageError for a position the source cannot order, one beyond the latest, or a partition a
 *   running agent owns (unless `force`).
 */
export async function setCheckpoint(
  store: StateStore,
  options: SetCheckpointOptions,
): Promise<CheckpointChangeResult> {
  const { group, source, partition, position } = options;
  const known = (await source.partitions()).map((p) => p.id);
  if (!known.includes(partition)) {
    throw new NotFoundError(`${source.uri} has no partition "${partition}"`, {
      hint:
        known.length === 0
          ? 'the source has no partitions yet'
          : `its partitions are ${known.sort(byPartition).join(', ')}`,
    });
  }
  if (source.compare(position, position) !== 0) {
    throw new UsageError(`"${position}" is not a position of ${source.uri}`, {
      hint: 'use a position as `checkpoint list` shows them (a log offset, a sequence number, …)',
    });
  }
  const latest = (await source.describe()).find((s) => s.partition === partition)?.latest;
  if (latest !== undefined && source.compare(position, latest) > 0) {
    throw new UsageError(
      `position ${position} is beyond the latest position ${latest} of partition ${partition}`,
      {
        hint: `use a position up to ${latest}, or \`checkpoint reset --to latest\``,
      },
    );
  }
  const forced = await guard(store, options, [partition]);
  const before = (await store.checkpoints.get(group, source.id, [partition])).get(partition)?.position;
  await store.checkpoints.set([{ group, source: source.id, partition, position, owner: OPERATOR }]);
  return {
    group,
    source: source.id,
    changes: [{ partition, ...(before === undefined ? {} : { before }), after: position }],
    forced,
  };
}

/**
 * Resets checkpoints to the start (deleted: read from the partition's start next time) or to the
 * source's latest position (what is there now is skipped).
 * @throws NotFoundError for a partition the source does not know and that has no checkpoint.
 * @throws UsageError while a running agent owns one of the partitions (unless `force`).
 */
export async function resetCheckpoints(
  store: StateStore,
  options: ResetCheckpointsOptions,
): Promise<CheckpointChangeResult> {
  const { group, source, to } = options;
  const stored = await store.checkpoints.get(group, source.id);
  const known = new Set([...(await source.partitions()).map((p) => p.id), ...stored.keys()]);
  const targets = [...new Set(options.partitions ?? known)].sort(byPartition);
  const unknown = targets.filter((p) => !known.has(p));
  if (unknown.length > 0) {
    throw new NotFoundError(`${source.uri} has no partition ${unknown.map((p) => `"${p}"`).join(', ')}`, {
      hint:
        known.size === 0
          ? 'the source has no partitions yet'
          : `its partitions are ${[...known].sort(byPartition).join(', ')}`,
    });
  }
  const forced = await guard(store, options, targets);
  const latest =
    to === 'latest' ? new Map((await source.describe()).map((s) => [s.partition, s.latest])) : new Map();
  const writes: CheckpointWrite[] = [];
  const deletes: Partition[] = [];
  const changes: CheckpointChange[] = [];
  for (const partition of targets) {
    const before = stored.get(partition)?.position;
    const after: Position | undefined = latest.get(partition);
    if (after === undefined) deletes.push(partition);
    else writes.push({ group, source: source.id, partition, position: after, owner: OPERATOR });
    changes.push({
      partition,
      ...(before === undefined ? {} : { before }),
      ...(after === undefined ? {} : { after }),
    });
  }
  if (deletes.length > 0) await store.checkpoints.delete(group, source.id, deletes);
  if (writes.length > 0) await store.checkpoints.set(writes);
  return { group, source: source.id, changes, forced };
}

/** Refuses to touch partitions a running agent owns, unless forced; returns the owners overridden. */
async function guard(
  store: StateStore,
  options: {
    readonly group: string;
    readonly source: Source;
    readonly force?: boolean;
    readonly clock?: Clock;
  },
  partitions: readonly Partition[],
): Promise<LiveOwner[]> {
  const now = (options.clock ?? systemClock).now();
  const owners = await liveOwners(store, options.group, options.source.id, { now });
  const held = partitions.flatMap((p) => owners.get(p) ?? []);
  if (held.length === 0 || options.force === true) return held;
  const agents = [...new Set(held.map((o) => o.agent))];
  const which =
    held.length === 1
      ? `partition ${held[0]!.partition} is`
      : `partitions ${held.map((o) => o.partition).join(', ')} are`;
  throw new UsageError(
    `${which} owned by the running agent${agents.length > 1 ? 's' : ''} ${agents.join(', ')} (group ${options.group}, ${options.source.uri})`,
    {
      hint: `drain it first (agentctl drain --agent ${agents[0]}), then run this again; or pass --force, and the agent may overwrite the checkpoint at its next commit`,
    },
  );
}
