import type { PartitionStatus, Source } from '../sources/source.js';
import type { Partition } from '../types.js';
import type { Assignor } from './assignor.js';
import type { CarriedBatch } from './carried-batch.js';
import type { Committer } from './committer.js';

/**
 * Status reporting: where each partition stands as the source describes it, merged with what the
 * processor knows — `paused` while backpressure holds it, its owner as the assignor knows it (none when
 * the assignor cannot say), and the position last committed when the source does not report one.
 */
export async function describePartitions(
  source: Source,
  assignor: Assignor,
  committer: Committer,
  carried: CarriedBatch,
): Promise<PartitionStatus[]> {
  const statuses = await source.describe();
  const owners = await assignor.owners().catch(() => new Map<Partition, string>());
  return statuses.map((s) => ({
    ...s,
    ...(carried.isPaused(s.partition) ? { state: 'paused' as const } : {}),
    ...(owners.has(s.partition) ? { owner: owners.get(s.partition)! } : {}),
    ...(committer.committedAt(s.partition) !== undefined && s.committed === undefined
      ? { committed: committer.committedAt(s.partition)! }
      : {}),
  }));
}
