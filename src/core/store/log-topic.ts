import { UsageError } from '../errors/usage-error.js';

/** Partitions of a topic created by its first append. */
export const DEFAULT_PARTITIONS = 4;

/** Throws `UsageError` for a name no topic may have (the empty one). */
export function assertTopicName(topic: string): void {
  if (topic === '') throw new UsageError('a log topic needs a name');
}

/** Throws `UsageError` unless `partitions` is a whole number ≥ 1. */
export function assertPartitionCount(topic: string, partitions: number): void {
  if (!Number.isInteger(partitions) || partitions < 1) {
    throw new UsageError(`topic "${topic}" needs a whole number of partitions ≥ 1, not ${partitions}`);
  }
}
