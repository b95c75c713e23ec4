import type { Clock } from '../clock.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { Partition } from '../types.js';

/**
 * Per partition, since when its checkpoint has not moved while work waited: when a commit (or a settle)
 * last moved it, or when it was last seen with nothing in flight (or first seen at all). What a stall is
 * judged from (`stallOf`). It learns of commits from the processor's `commit` events.
 */
export class ProgressTimes {
  private readonly times = new Map<Partition, number>();

  constructor(
    private readonly clock: Clock,
    telemetry: Telemetry,
  ) {
    telemetry.on('commit', ({ positions }) => {
      const now = this.clock.now();
      for (const partition of Object.keys(positions)) this.times.set(partition, now);
    });
  }

  /**
   * Since when the partition waits, given how many of its messages are in flight now (none: it waits
   * for nothing, so since now). Asked at each status snapshot: an idle spell, or a partition newly
   * read, is seen at most one snapshot late.
   */
  since(partition: Partition, pending: number): number {
    let at = this.times.get(partition);
    if (at === undefined || pending === 0) {
      at = this.clock.now();
      this.times.set(partition, at);
    }
    return at;
  }

  /** Forgets the partitions not in `kept` (no longer read). */
  retain(kept: ReadonlySet<Partition>): void {
    for (const partition of this.times.keys()) if (!kept.has(partition)) this.times.delete(partition);
  }
}
