import type { PartitionStatus, Source } from '../sources/source.js';
import type { Partition, Position } from '../types.js';
import type { Assignor } from './assignor.js';
import type { CarriedBatch } from './carried-batch.js';
import type { Committer } from './committer.js';
import type { ProgressTimes } from './progress-times.js';

/**
 * Status reporting: where each partition stands as the source describes it, merged with what the
 * processor knows — `paused` while backpressure holds it, its owner as the assignor knows it (none when
 * the assignor cannot say), the position last committed when the source does not report one, and, for
 * the partitions it reads, since when their checkpoint has not moved and the first position not done.
 */
export async function describePartitions(
  source: Source,
  assignor: Assignor,
  committer: Committer,
  carried: CarriedBatch,
  times: ProgressTimes,
): Promise<PartitionStatus[]> {
  const statuses = await source.describe();
  const owners = await assignor.owners().catch(() => new Map<Partition, string>());
  const pending = committer.oldestPending();
  times.retain(new Set(committer.partitions()));
  return statuses.map((s) => ({
    ...s,
    ...(committer.has(s.partition) ? progressOf(times, pending.get(s.partition), s.partition) : {}),
    ...(carried.isPaused(s.partition) ? { state: 'paused' as const } : {}),
    ...(owners.has(s.partition) ? { owner: owners.get(s.partition)! } : {}),
    ...(committer.committedAt(s.partition) !== undefined && s.committed === undefined
      ? { committed: committer.committedAt(s.partition)! }
      : {}),
  }));
}

function progressOf(
  times: ProgressTimes,
  oldest: Position | undefined,
  partition: Partition,
): Pick<PartitionStatus, 'progressAt' | 'oldestPending'> {
  const progressAt = times.since(partition, oldest === undefined ? 0 : 1);
  return oldest === undefined ? { progressAt } : { progressAt, oldestPending: oldest };
}
