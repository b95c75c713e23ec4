import { UsageError } from '../errors/usage-error.js';
import { partitionForKey } from './partition-for-key.js';
import type { LogAppend } from './records.js';

/**
 * Picks the partition of each appended record: its explicit partition, else the hash of its key, else the
 * next partition in turn. The round-robin turn is kept per topic by this instance only (one per store).
 */
export class LogPartitioner {
  private readonly roundRobin = new Map<string, number>();

  /** Throws `UsageError` for an explicit partition outside `0..partitions - 1`. */
  partitionOf(topic: string, partitions: number, record: LogAppend): number {
    if (record.partition !== undefined) {
      if (!Number.isInteger(record.partition) || record.partition < 0 || record.partition >= partitions) {
        throw new UsageError(
          `topic "${topic}" has partitions 0..${partitions - 1}; there is no partition ${record.partition}`,
        );
      }
      return record.partition;
    }
    if (record.key !== undefined) return partitionForKey(record.key, partitions);
    const turn = (this.roundRobin.get(topic) ?? 0) % partitions;
    this.roundRobin.set(topic, turn + 1);
    return turn;
  }
}
