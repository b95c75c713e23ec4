import type { StateStore } from '../store/state-store.js';

/** What a prune may delete. */
export const PRUNE_KINDS = ['runs', 'efforts', 'failed', 'log'] as const;
export type PruneKind = (typeof PRUNE_KINDS)[number];

export interface PruneOptions {
  /** Records older than this time (ms since the epoch) go. */
  readonly before: number;
  /** What to prune (default: all of `PRUNE_KINDS`). */
  readonly kinds?: readonly PruneKind[];
  /** Count what would go, delete nothing. */
  readonly dryRun?: boolean;
}

/** One partition of the local log, and how far it may be pruned. */
export interface LogPartitionPrune {
  readonly topic: string;
  readonly partition: number;
  /**
   * The offset the partition may be pruned through: the lowest checkpoint among the groups reading the
   * topic. Absent when the partition is kept whole: no group reads the topic, or the holder has not
   * committed on this partition yet.
   */
  readonly through?: number;
  /** The group whose position is the floor (the first by name among equals); absent when no group reads the topic. */
  readonly heldBy?: string;
  readonly records: number;
}

export interface PruneReport {
  readonly before: number;
  readonly dryRun: boolean;
  /** Records deleted (or, dry, that would be), by kind; kinds not asked for are absent. */
  readonly deleted: Partial<Record<PruneKind, number>>;
  /** The local log's partitions, with the offset each was pruned through. */
  readonly log: readonly LogPartitionPrune[];
}

/**
 * Deletes what the store no longer needs, older than `before`, keeping everything an agent still relies
 * on:
 *
 * - **runs** that finished (succeeded or failed): full runs by last update, compact (ledger) runs by
 *   their event's time. Pending and running runs stay. An event redelivered after its run was pruned
 *   runs again, so keep the cut well behind any redelivery or replay you expect.
 * - **efforts** that culminated (delivered or parked); pending ones stay.
 * - **failed** items that are settled (replayed or discarded); pending items are never pruned.
 * - **log**: records of the embedded log appended before `before` that every group reading the topic
 *   has checkpointed past. A group reads a topic when the store knows it there by a checkpoint, a lease
 *   or an agent row; one that has not committed on a partition yet (it may be reading it now, or start
 *   from the earliest record) keeps that partition whole, as does a topic no group reads. Each
 *   partition's last record stays so offsets go on from it. `replay --from` cannot reach what was pruned.
 *
 * Safe while agents run: SQLite deletes in short transactions, PostgreSQL in single statements. The
 * floors are read just before each partition is pruned; a group that first appears in the store after
 * that (an agent takes its lease before it reads) is not waited for.
 */
export async function pruneStore(store: StateStore, options: PruneOptions): Promise<PruneReport> {
  const kinds = new Set(options.kinds ?? PRUNE_KINDS);
  const dryRun = options.dryRun ?? false;
  const { before } = options;
  const deleted: Partial<Record<PruneKind, number>> = {};
  if (kinds.has('runs')) deleted.runs = await store.runs.prune(before, dryRun);
  if (kinds.has('efforts')) deleted.efforts = await store.efforts.prune(before, dryRun);
  if (kinds.has('failed')) deleted.failed = await store.failed.prune(before, dryRun);
  const log: LogPartitionPrune[] = [];
  if (kinds.has('log')) {
    for (const topic of await store.log.topics()) {
      for (let partition = 0; partition < topic.partitions; partition++) {
        const floor = await logFloor(store, `local:${topic.name}`, String(partition));
        const records =
          floor?.through === undefined
            ? 0
            : await store.log.prune(topic.name, partition, floor.through, before, dryRun);
        log.push({ topic: topic.name, partition, ...floor, records });
      }
    }
    deleted.log = log.reduce((n, p) => n + p.records, 0);
  }
  return { before, dryRun, deleted, log };
}

/**
 * The lowest position any group reading a local topic holds on one of its partitions, and which group
 * holds it: a group's checkpoint there, or the partition's start (`through` absent) for a group known by
 * a lease, an agent row or a checkpoint elsewhere that has none there. Undefined when no group reads it.
 */
async function logFloor(
  store: StateStore,
  source: string,
  partition: string,
): Promise<{ through?: number; heldBy: string } | undefined> {
  const [checkpoints, leases, agents] = await Promise.all([
    store.checkpoints.list({ source }),
    store.leases.list(undefined, source),
    store.agents.list(),
  ]);
  const groups = new Set([
    ...checkpoints.map((c) => c.group),
    ...leases.map((l) => l.group),
    ...agents.filter((a) => a.source === source).map((a) => a.group),
  ]);
  const committed = new Map<string, number>();
  for (const checkpoint of checkpoints) {
    if (checkpoint.partition !== partition) continue;
    // A position that is not an offset (set by hand?) keeps the partition whole.
    const offset = Number(checkpoint.position);
    if (Number.isInteger(offset) && offset >= 0) committed.set(checkpoint.group, offset);
  }
  let floor: { through?: number; heldBy: string } | undefined;
  for (const group of [...groups].sort()) {
    const through = committed.get(group);
    if (through === undefined) return { heldBy: group };
    if (floor?.through === undefined || through < floor.through) floor = { through, heldBy: group };
  }
  return floor;
}
