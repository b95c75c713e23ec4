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
  /** The lowest checkpoint of any group reading the topic; undefined when no group has one (kept whole). */
  readonly through?: number;
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
 *   has checkpointed past. A partition no group has a checkpoint for is kept whole, and each
 *   partition's last record stays so offsets go on from it. `replay --from` cannot reach what was pruned.
 *
 * Safe while agents run: SQLite deletes in short transactions, PostgreSQL in single statements.
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
      const floors = await checkpointFloors(store, `local:${topic.name}`);
      for (let partition = 0; partition < topic.partitions; partition++) {
        const through = floors.get(String(partition));
        const records =
          through === undefined ? 0 : await store.log.prune(topic.name, partition, through, before, dryRun);
        log.push({ topic: topic.name, partition, ...(through === undefined ? {} : { through }), records });
      }
    }
    deleted.log = log.reduce((n, p) => n + p.records, 0);
  }
  return { before, dryRun, deleted, log };
}

/** The lowest checkpointed offset of each partition of a local topic, over every group reading it. */
async function checkpointFloors(store: StateStore, source: string): Promise<Map<string, number>> {
  const floors = new Map<string, number>();
  for (const checkpoint of await store.checkpoints.list({ source })) {
    // A position that is not an offset (set by hand?) keeps the partition whole.
    const position = Number(checkpoint.position);
    const offset = Number.isInteger(position) ? position : -1;
    const floor = floors.get(checkpoint.partition);
    if (floor === undefined || offset < floor) floors.set(checkpoint.partition, offset);
  }
  return floors;
}
