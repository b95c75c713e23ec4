import type { PartitionInfo } from '../sources/source.js';
import type { Fence } from '../store/records.js';
import type { Partition } from '../types.js';

/** A partition taken away from this processor, and why. */
export interface Revocation {
  readonly partition: Partition;
  /** `lost`: the lease is gone (do not commit); `rebalance`/`ended`/`stopping`: commit, then release. */
  readonly reason: 'lost' | 'rebalance' | 'ended' | 'stopping';
}

export interface AssignmentChanges {
  readonly assigned: readonly Partition[];
  readonly revoked: readonly Revocation[];
}

/**
 * Decides which partitions this processor reads. The processor pulls changes at the top of each loop
 * (`takeChanges`), applies them (join the pipeline, commit, rebuild), and then confirms revocations with
 * `released` so leases are only given up after their final commit.
 */
export interface Assignor {
  /**
   * Computes the first assignment (and starts background renewal for leases); `listed`: the partitions
   * the source listed while connecting just now, which its first discovery may use instead of listing.
   */
  start(signal: AbortSignal, listed?: readonly PartitionInfo[]): Promise<void>;
  /** Changes since the last call; empty when none. */
  takeChanges(): AssignmentChanges;
  /** Re-examines the source now (discovery, balance) instead of waiting for the next tick. */
  refresh(): Promise<void>;
  /** The fence checkpoint writes for this partition must carry (undefined: unfenced). */
  fence(partition: Partition): Fence | undefined;
  /** The processor committed END for a partition: it is finished. */
  ended(partition: Partition): void;
  /** Revoked partitions were committed and dropped; their leases may go. */
  released(partitions: readonly Partition[]): Promise<void>;
  /** True when no readable partition is waiting for an owner (for `untilEmpty`). */
  settled(): boolean;
  /** Partitions currently held. */
  held(): readonly Partition[];
  /** Who owns which partition, as far as this assignor knows (for `describe`). */
  owners(): Promise<Map<Partition, string>>;
  /** Stops renewing and releases everything held. */
  stop(): Promise<void>;
}
