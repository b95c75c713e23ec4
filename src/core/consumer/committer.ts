import type { Clock } from '../clock.js';
import type { Stats } from '../model/stats.js';
import type { Source } from '../sources/source.js';
import type { Journal } from '../store/journal.js';
import type { CheckpointWrite, Fence } from '../store/records.js';
import type { StateStore } from '../store/state-store.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import { END_OF_PARTITION, type Partition, type Position } from '../types.js';
import type { Assignor } from './assignor.js';
import { type CommitPolicy, commitDue } from './commit-policy.js';
import { DoneLog } from './done-log.js';
import { SettleFlushes } from './settle-flushes.js';
import { Watermark } from './watermark.js';

/**
 * How far behind the store may fall before the loop waits for it: a due commit waits for the one being
 * written once this many times the policy's messages (or interval) have been done since that one started.
 */
export const BACKLOG = 4;

export interface CommitterOptions {
  readonly source: Source;
  readonly store: StateStore;
  readonly journal: Journal;
  readonly assignor: Assignor;
  readonly group: string;
  readonly owner: string;
  readonly clock: Clock;
  readonly stats: Stats;
  readonly telemetry: Telemetry;
  readonly policy: CommitPolicy;
}

/** The progress of one partition: its contiguous watermark, or (a source settling each message) its done log. */
export type PartitionProgress = Watermark | DoneLog;

/**
 * A processor's progress per partition and how it becomes durable. Each commit flushes the journal and
 * the moved watermarks in one store transaction, then commits to the source — so a checkpoint never
 * passes a message whose runs or parking are not durable. Commits are pipelined: the snapshot is taken at
 * once and written in the background while the loop goes on, one at a time and in order. A commit that
 * comes due while the previous one is still being written does not wait for it: it is owed, and starts
 * as soon as that one is through, carrying everything done meanwhile (a group commit that grows while
 * the store is slower than the loop — a database round trip and fsync stay off the loop's path). The loop
 * waits for the store only once `BACKLOG` policies' worth of done messages or time have piled up behind
 * the commit under way. `commit(true)` (drain, revocation) waits for every commit and then writes its own.
 *
 * A source that settles each message (`settlement: 'each'`, ack-based queues) has no policy to wait for:
 * whatever is done is flushed and settled as soon as possible, up to two flushes overlapping (see
 * `SettleFlushes`).
 *
 * Each partition also keeps the fence of the lease it was assigned under: a watermark of an earlier
 * ownership must never be written under a lease taken again since (it would move the checkpoint back
 * over what another owner committed meanwhile).
 */
export class Committer {
  /** The source settles each done message instead of committing a watermark. */
  readonly settlesEach: boolean;
  private readonly progress = new Map<Partition, PartitionProgress>();
  private readonly committed = new Map<Partition, Position>();
  private readonly fences = new Map<Partition, Fence | undefined>();
  private doneSinceCommit = 0;
  private lastCommitAt: number;
  /** The commit being written in the background, if any. */
  private committing: Promise<void> | undefined;
  /** A commit came due while one was being written: it starts as soon as that one is through. */
  private owed = false;
  private failure: unknown;
  private stopped = false;
  /** The flushes and settling of a source that settles each message. */
  private readonly settler: SettleFlushes | undefined;

  constructor(private readonly options: CommitterOptions) {
    this.settlesEach = options.source.settlement === 'each';
    this.lastCommitAt = options.clock.now();
    this.settler = this.settlesEach
      ? new SettleFlushes({
          ...options,
          progress: this.progress,
          failed: (error) => {
            this.failure = error;
          },
        })
      : undefined;
  }

  /** Messages tracked and not yet done. */
  get inFlight(): number {
    let n = 0;
    for (const p of this.progress.values()) n += p.pending;
    return n;
  }

  /** Every tracked message is done. */
  get drained(): boolean {
    for (const p of this.progress.values()) if (!p.drained) return false;
    return true;
  }

  /** The partitions whose progress is tracked. */
  partitions(): IterableIterator<Partition> {
    return this.progress.keys();
  }

  has(partition: Partition): boolean {
    return this.progress.has(partition);
  }

  get size(): number {
    return this.progress.size;
  }

  /** The first position not done of each partition that has one. */
  oldestPending(): Map<Partition, Position> {
    const oldest = new Map<Partition, Position>();
    for (const [partition, p] of this.progress) {
      const position = p.oldestPending;
      if (position !== undefined) oldest.set(partition, position);
    }
    return oldest;
  }

  /** Where the partition was last committed (by this processor or the checkpoint it started from). */
  committedAt(partition: Partition): Position | undefined {
    return this.committed.get(partition);
  }

  /** Starts tracking a partition assigned under `fence` (its checkpoint, if any, is told by `startedFrom`). */
  open(partition: Partition, fence: Fence | undefined): void {
    this.progress.set(partition, this.settlesEach ? new DoneLog() : new Watermark());
    this.fences.set(partition, fence);
  }

  /** The partition's checkpoint, as read when it was assigned. */
  startedFrom(partition: Partition, position: Position): void {
    this.committed.set(partition, position);
  }

  /** Tracks the partition anew (it is read again from an earlier position); its fence stays. */
  reopen(partition: Partition): void {
    this.progress.set(partition, this.settlesEach ? new DoneLog() : new Watermark());
  }

  /** Stops tracking the partition's messages (lost: none of them may be committed by this processor). */
  drop(partition: Partition): void {
    this.progress.delete(partition);
  }

  /** Forgets the partition altogether (revoked). */
  forget(partition: Partition): void {
    this.progress.delete(partition);
    this.fences.delete(partition);
    this.committed.delete(partition);
  }

  /** A message was read: false when its partition is not tracked (it is then ignored). */
  track(partition: Partition, position: Position): boolean {
    const p = this.progress.get(partition);
    if (p === undefined) return false;
    p.track(position);
    return true;
  }

  /** A read message is done. */
  done(partition: Partition, position: Position): void {
    this.progress.get(partition)?.done(position);
  }

  /** `n` messages were done: counts toward the policy, and a settling source is told soon. */
  counted(n: number): void {
    if (this.settler !== undefined) this.settler.counted(n);
    else this.doneSinceCommit += n;
  }

  /**
   * The partition ended: an END entry goes behind its last message, done at once. It counts as done for
   * the policy, which commits only after something was done: a shard that ends with nothing new before its
   * end (restarted from a checkpoint at its last record) must still get its END committed, or its
   * children are never read.
   */
  end(partition: Partition): void {
    const p = this.progress.get(partition);
    if (p === undefined) return;
    p.track(END_OF_PARTITION);
    p.done(END_OF_PARTITION);
    this.counted(1);
  }

  /** No commit starts from now on (terminated: nothing more may be committed). */
  stop(): void {
    this.stopped = true;
    this.settler?.stop();
  }

  /**
   * Commits when the policy says one is due (see the class); `force` waits for the commit under way and
   * then commits whatever there is. Rethrows a background commit's failure.
   */
  async commit(force: boolean): Promise<void> {
    // The commit under way may be written already: its answer is taken in without waiting for a turn of
    // the event loop, which this processor's loop may not give it for thousands of messages.
    this.options.store.collectFlushes?.();
    this.rethrow();
    if (this.settler !== undefined) {
      if (force) await this.settler.drain();
      else this.settler.flush();
      this.rethrow();
      return;
    }
    if (force) {
      while (this.committing !== undefined) await this.committing;
      this.rethrow();
      this.owed = false;
      await this.commitNow();
      return;
    }
    const { policy } = this.options;
    const elapsed = this.options.clock.now() - this.lastCommitAt;
    if (!commitDue(policy, elapsed, this.doneSinceCommit)) return;
    const writing = this.committing;
    if (writing === undefined) {
      this.start();
      return;
    }
    // Owed: started by the commit under way once it is through (see `start`).
    this.owed = true;
    if (this.doneSinceCommit < BACKLOG * policy.messages && elapsed < BACKLOG * policy.intervalMs) return;
    // The store is far behind: wait for it (backpressure), as the owed commit then takes over.
    await writing;
    this.rethrow();
  }

  /** Writes a commit in the background, then the next one if one is owed. */
  private start(): void {
    this.owed = false;
    const committing: Promise<void> = this.commitNow()
      .catch((error: unknown) => {
        this.failure = error;
      })
      .finally(() => {
        if (this.committing === committing) this.committing = undefined;
        if (this.owed && !this.stopped && this.failure === undefined && this.committing === undefined)
          this.start();
      });
    this.committing = committing;
  }

  private rethrow(): void {
    if (this.failure === undefined) return;
    const error = this.failure;
    this.failure = undefined;
    throw error;
  }

  /** Flushes the journal and the moved watermarks in one store transaction, then commits to the source. */
  private async commitNow(): Promise<void> {
    const { store, source, journal, group, owner, clock, stats, telemetry, assignor } = this.options;
    const started = clock.now();
    const positions = new Map<Partition, Position>();
    for (const [partition, watermark] of this.progress) {
      const position = (watermark as Watermark).committable;
      if (position !== undefined && this.committed.get(partition) !== position)
        positions.set(partition, position);
    }
    this.lastCommitAt = started;
    this.doneSinceCommit = 0;
    if (positions.size === 0 && journal.size === 0) return;
    const writes: CheckpointWrite[] = [];
    if (source.checkpointing === 'store') {
      for (const [partition, position] of positions) {
        const fence = this.fences.get(partition);
        writes.push({ group, source: source.id, partition, position, owner, ...(fence ? { fence } : {}) });
      }
    }
    const batch = journal.take();
    let rejected: readonly CheckpointWrite[];
    try {
      rejected = (await store.flush(batch, writes)).rejected;
    } catch (error) {
      journal.restore(batch);
      throw error;
    }
    const lost = new Set(rejected.map((w) => w.partition));
    for (const partition of lost) positions.delete(partition);
    if (positions.size > 0) await source.commit(positions);
    for (const [partition, position] of positions) {
      this.committed.set(partition, position);
      if (position === END_OF_PARTITION) assignor.ended(partition);
    }
    if (lost.size > 0) {
      telemetry.emit('warning', {
        message: `checkpoint refused for ${[...lost].join(', ')}: the lease moved to another owner`,
      });
      // Learn of the loss now rather than at the next renewal, so that the work of those partitions stops.
      await assignor.refresh();
    }
    stats.commits++;
    if (positions.size > 0) {
      telemetry.emit('commit', {
        positions: Object.fromEntries(positions),
        durationMs: clock.now() - started,
      });
    }
  }
}
