import type { Clock } from '../clock.js';
import type { Source } from '../sources/source.js';
import type { StateStore } from '../store/state-store.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import { END_OF_PARTITION, type Partition, type Position, type StartPosition } from '../types.js';
import type { AssignmentChanges, Assignor, Revocation } from './assignor.js';
import type { CarriedBatch } from './carried-batch.js';
import type { Committer } from './committer.js';
import type { PipelineSlot } from './pipeline-slot.js';

export interface PartitionHandOffOptions {
  readonly source: Source;
  readonly store: StateStore;
  readonly assignor: Assignor;
  readonly group: string;
  readonly telemetry: Telemetry;
  readonly clock: Clock;
  readonly committer: Committer;
  readonly carried: CarriedBatch;
  readonly pipeline: PipelineSlot;
  /** Aborted when the processor is terminated: nothing more is committed or handed over. */
  readonly signal: AbortSignal;
  /** Where partitions without a checkpoint start (default earliest). */
  readonly initial?: StartPosition;
}

/**
 * Assignment: the partitions the assignor gives and takes, handed to and from the source, the committer
 * and the pipeline. `apply` (once per loop, a no-op without changes) closes the pipeline and commits,
 * lets revoked partitions go at the source and in the committer and then releases their leases (not
 * those `lost`: another agent holds them already), reads kept partitions again whose work a timed-out
 * join abandoned, starts new partitions after their checkpoint (or at `initial`; a partition whose
 * checkpoint is END is marked ended instead), and builds the pipeline again. `nothingLeft` answers the
 * `untilEmpty` question, keeping the changes it took for the next `apply`.
 */
export class PartitionHandOff {
  /** Changes taken from the assignor by `nothingLeft`, applied at the top of the next loop. */
  private pending: AssignmentChanges | undefined;

  constructor(private readonly options: PartitionHandOffOptions) {}

  /** Applies the assignor's changes (or those `nothingLeft` took) and rebuilds the pipeline. */
  async apply(): Promise<void> {
    const { assigned, revoked } = this.pending ?? this.options.assignor.takeChanges();
    this.pending = undefined;
    if (assigned.length === 0 && revoked.length === 0) return;
    const { committer, carried, pipeline, signal } = this.options;
    await this.closePipeline(revoked);
    if (signal.aborted) return;
    const gone = new Set(revoked.map((r) => r.partition));
    carried.keepUnsubmitted(gone);
    if (revoked.length > 0) await this.revoke(revoked, gone);
    await this.rereadAbandoned();
    if (assigned.length > 0) await this.assign(assigned);
    pipeline.build(new Set(committer.partitions()), !committer.settlesEach);
  }

  /** True when the assignor has nothing more to hand this processor (for `untilEmpty`). */
  async nothingLeft(): Promise<boolean> {
    const { assignor, committer } = this.options;
    // Commit first: a partition read to its end is only finished once END is committed, and only then
    // may its children be assigned.
    await committer.commit(true);
    await assignor.refresh();
    const changes = assignor.takeChanges();
    if (changes.assigned.length === 0 && changes.revoked.length === 0) {
      if (assignor.settled()) return true;
      // A partition waits for a dead owner's lease to expire: wait, then take it over.
      await this.options.clock.sleep(100, this.options.signal).catch(() => undefined);
      return false;
    }
    this.pending = changes;
    return false;
  }

  /**
   * Finishes the current pipeline (all in-flight work) and commits, before partitions change. A lost
   * partition belongs to another agent already: its work must stop now, not run on for the join, and the
   * pipeline is shared, so it is terminated instead (what kept partitions had in flight is read again).
   */
  private async closePipeline(revoked: readonly Revocation[]): Promise<void> {
    const { committer, pipeline, signal } = this.options;
    if (pipeline.current === undefined) return;
    const lost = revoked.filter((r) => r.reason === 'lost').map((r) => r.partition);
    for (const partition of lost) committer.drop(partition);
    await pipeline.close(lost.length > 0);
    if (signal.aborted) return;
    await committer.commit(true);
  }

  /** Lets revoked partitions (`gone`) go, after the pipeline was joined and committed. */
  private async revoke(revoked: readonly Revocation[], gone: ReadonlySet<Partition>): Promise<void> {
    const { source, assignor, committer, carried, telemetry } = this.options;
    await source.revoke([...gone]);
    for (const partition of gone) {
      committer.forget(partition);
      carried.forget(partition);
    }
    await assignor.released(revoked.filter((r) => r.reason !== 'lost').map((r) => r.partition));
    telemetry.emit('revoked', { partitions: [...gone], reason: summarise(revoked) });
  }

  /**
   * A join that timed out abandoned its in-flight work, of every partition: whatever any step held is
   * gone, not done, and the source has already read past it. Each kept partition with such a position is
   * read again from its first position not done (its held messages are dropped: they are read again
   * too), so its watermark can move on; positions done after that one are redelivered, and runs that
   * succeeded are skipped. A partition whose only positions not done are its held messages keeps them.
   */
  private async rereadAbandoned(): Promise<void> {
    const { source, committer, carried, telemetry } = this.options;
    const held = carried.firstHeld();
    const from = new Map<Partition, Position>();
    for (const [partition, oldest] of committer.oldestPending())
      if (oldest !== held.get(partition)) from.set(partition, oldest);
    if (from.size === 0) return;
    await source.revoke([...from.keys()]);
    carried.drop(from);
    const starts = new Map<Partition, StartPosition>();
    for (const [partition, position] of from) {
      committer.reopen(partition);
      carried.forget(partition);
      starts.set(partition, { kind: 'at', position });
    }
    await source.assign(starts);
    telemetry.emit('warning', {
      message: `in-flight work was abandoned when the pipeline was rebuilt; reading again from ${[...from]
        .map(([p, position]) => `${p}@${position}`)
        .join(', ')}`,
    });
  }

  /** Starts newly assigned partitions after their checkpoint, or at `initial` without one. */
  private async assign(assigned: readonly Partition[]): Promise<void> {
    const { source, store, group, assignor, committer, telemetry } = this.options;
    const checkpoints = await store.checkpoints.get(group, source.id, assigned);
    const starts = new Map<Partition, StartPosition>();
    const described: Record<Partition, { start: StartPosition; initial: boolean }> = {};
    for (const partition of assigned) {
      const checkpoint = checkpoints.get(partition);
      const start: StartPosition = checkpoint
        ? { kind: 'after', position: checkpoint.position }
        : (this.options.initial ?? { kind: 'earliest' });
      if (checkpoint) committer.startedFrom(partition, checkpoint.position);
      if (checkpoint?.position === END_OF_PARTITION) {
        assignor.ended(partition);
        continue;
      }
      starts.set(partition, start);
      described[partition] = {
        start,
        initial: checkpoint === undefined && source.checkpointing === 'store',
      };
      committer.open(partition, assignor.fence(partition));
    }
    if (starts.size > 0) await source.assign(starts);
    telemetry.emit('assigned', {
      partitions: [...starts.keys()],
      starts: described,
      keptBy: source.checkpointing,
    });
  }
}

function summarise(revoked: readonly Revocation[]): string {
  return [...new Set(revoked.map((r) => r.reason))].join(', ');
}
