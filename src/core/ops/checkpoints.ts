import { type Clock, systemClock } from '../clock.js';
import type { AgentConfig } from '../config/agent-config.js';
import { resolveSettings } from '../config/build-agent.js';
import { NotFoundError } from '../errors/not-found-error.js';
import { UsageError } from '../errors/usage-error.js';
import { openSource } from '../sources/open-source.js';
import type { Checkpointing, PartitionState, PartitionStatus, Source } from '../sources/source.js';
import type { Checkpoint, CheckpointWrite } from '../store/records.js';
import type { StateStore } from '../store/state-store.js';
import { END_OF_PARTITION, type Partition, type Position } from '../types.js';
import { type LiveOwner, liveOwners, ownedState } from './partition-owners.js';

export type { LiveOwner } from './partition-owners.js';

/** Who is recorded as the writer of checkpoints set by an operator. */
export const OPERATOR = 'operator';

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

export interface ListCheckpointsOptions {
  /** The consumer group; ignored with `all`. */
  readonly group?: string;
  /** Every group's checkpoints (of `source` only, when given), without the source's live view. */
  readonly all?: boolean;
  /** Joins each partition with `describe()` (latest, lag) unless `all`; also filters by its id. */
  readonly source?: Source;
  readonly clock?: Clock;
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

export interface SourceForOps {
  readonly uri: string;
  readonly group: string;
  /** Adapter settings from the config (`adapters`). */
  readonly settings?: Readonly<Record<string, unknown>>;
  readonly localPartitions?: number;
}

/**
 * The group and source an operator acts on: the values given (flags) first, then the config, then the
 * defaults (`local:`), with the config's adapter settings.
 */
export function opsTarget(
  config: AgentConfig,
  given: { readonly source?: string; readonly group?: string } = {},
): SourceForOps {
  const settings = resolveSettings(config, given.source === undefined ? {} : { source: given.source });
  const partitions = config.consumer?.localPartitions;
  return {
    uri: settings.source,
    group: given.group ?? settings.name,
    ...(config.adapters === undefined ? {} : { settings: config.adapters }),
    ...(partitions === undefined ? {} : { localPartitions: partitions }),
  };
}

const byPartition = (a: Partition, b: Partition) => a.localeCompare(b, undefined, { numeric: true });

/** Opens (does not connect) the source an operator acts on, for its group, with the config's settings. */
export function openOpsSource(store: StateStore, target: SourceForOps): Promise<Source> {
  return openSource(target.uri, {
    store,
    group: target.group,
    ...(target.settings === undefined ? {} : { settings: target.settings }),
    ...(target.localPartitions === undefined ? {} : { localPartitions: target.localPartitions }),
  });
}

/** Opens and connects the source a URI names, hands it to `use`, and closes it whatever happens. */
export async function withSource<T>(
  store: StateStore,
  options: SourceForOps,
  use: (source: Source) => Promise<T>,
): Promise<T> {
  const source = await openOpsSource(store, options);
  try {
    await source.connect();
    return await use(source);
  } finally {
    await source.close();
  }
}

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
