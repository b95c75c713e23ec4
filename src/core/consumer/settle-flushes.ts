import type { Clock } from '../clock.js';
import type { Stats } from '../model/stats.js';
import type { Source } from '../sources/source.js';
import type { Journal } from '../store/journal.js';
import type { StateStore } from '../store/state-store.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { Partition, Position } from '../types.js';
import { DoneLog } from './done-log.js';

/**
 * Flushes under way at once: the journal lets a batch be taken while the one before it is still being
 * written (`Journal.take`), so a second flush overlaps the first and no more.
 */
export const SETTLE_FLUSHES = 2;

/** Done messages that start a flush overlapping one under way: a quarter of the source's window. */
export function overlapAfter(source: Source): number {
  return source.inFlightLimit === undefined ? 1 : Math.max(1, Math.ceil(source.inFlightLimit / 4));
}

export interface SettleFlushesOptions {
  readonly source: Source;
  readonly store: StateStore;
  readonly journal: Journal;
  readonly clock: Clock;
  readonly stats: Stats;
  readonly telemetry: Telemetry;
  /** The progress of each tracked partition (the committer's map: entries change as partitions do). */
  readonly progress: ReadonlyMap<Partition, unknown>;
  /** A flush failed (its batch is back in the journal): no flush starts any more. */
  readonly failed: (error: unknown) => void;
}

/**
 * How a source that settles each message (`settlement: 'each'`, an ack-based queue) makes its done
 * messages durable and settled: each flush takes the journal and every position done so far, writes
 * them, then settles those positions with the source — never a position whose records are not durable.
 * There is no policy to wait for: a flush starts as soon as something is done and none is under way,
 * and a second one overlaps it once a quarter of the source's in-flight window is done (`overlapAfter`):
 * a flush that waits for the one before it holds every message done meanwhile unacked — with a prefetch
 * window, the broker stops delivering — while overlapping it with every few done messages (a pool
 * runner finishes them one by one) would write many tiny transactions. Flushes finish in the order they
 * started: each settles only after the one before it is through, so a third is taken only once the first
 * is written. While both slots are busy, done messages gather into the next flush (a group commit that
 * grows with the load, up to the source's in-flight window).
 */
export class SettleFlushes {
  private underWay = 0;
  /** The newest flush under way; it finishes after every older one, so waiting for it waits for all. */
  private newest: Promise<void> | undefined;
  private doneSince = 0;
  private scheduled = false;
  private stopped = false;
  private failure = false;
  private readonly overlapAfter: number;

  constructor(private readonly options: SettleFlushesOptions) {
    this.overlapAfter = overlapAfter(options.source);
  }

  /**
   * `n` messages were done: a flush starts on the next turn of the event loop (so that work done in one
   * burst goes in one flush), not only when the processor's loop comes back from a poll — a pool runner
   * finishes work while the loop waits on an empty inbox, whose refill waits on these very acks.
   */
  counted(n: number): void {
    this.doneSince += n;
    if (this.scheduled || !this.due()) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  /** Starts a flush if one is due (see the class). Never waits. */
  flush(): void {
    if (this.due() && !this.stopped && !this.failure) this.start();
  }

  /**
   * Waits for every flush under way, then flushes and settles whatever is left (drain, revocation).
   * Resolves once all of it is through or a flush failed (the committer rethrows the failure).
   */
  async drain(): Promise<void> {
    while (this.newest !== undefined) await this.newest;
    if (this.stopped || this.failure) return;
    this.start();
    while (this.newest !== undefined) await this.newest;
  }

  /** No flush starts from now on (terminated); one under way still settles what it made durable. */
  stop(): void {
    this.stopped = true;
  }

  private due(): boolean {
    if (this.doneSince === 0) return false;
    return this.underWay === 0 || (this.underWay < SETTLE_FLUSHES && this.doneSince >= this.overlapAfter);
  }

  private start(): void {
    const previous = this.newest;
    this.underWay++;
    this.doneSince = 0;
    const flushing: Promise<void> = this.flushAndSettle(previous)
      .catch((error: unknown) => {
        this.failure = true;
        this.options.failed(error);
      })
      .finally(() => {
        this.underWay--;
        if (this.newest === flushing) this.newest = undefined;
        this.flush();
      });
    this.newest = flushing;
  }

  /**
   * Takes the journal and the done positions now (before its first `await`: the order of `take`s is the
   * order of `start`s), writes them, waits for the flush before it, then settles its positions.
   */
  private async flushAndSettle(previous: Promise<void> | undefined): Promise<void> {
    const { store, source, journal, clock, stats, telemetry } = this.options;
    const started = clock.now();
    const done = new Map<Partition, Position[]>();
    for (const [partition, log] of this.options.progress) {
      if (log instanceof DoneLog && log.changed) done.set(partition, log.takeDone());
    }
    if (done.size === 0 && journal.size === 0) {
      await previous;
      return;
    }
    const batch = journal.take();
    try {
      // In the background: the loop goes on reading deliveries while this is written (and a second
      // flush may overlap it), instead of stopping for each small transaction.
      await store.flush(batch, [], { background: true });
    } catch (error) {
      journal.restore(batch);
      // Not settled: the messages stay unacked, and are redelivered if the agent stops now.
      throw error;
    } finally {
      await previous;
    }
    if (done.size > 0) await source.settle!(done);
    stats.commits++;
    if (done.size > 0 && telemetry.has('commit')) {
      const positions: Record<Partition, Position> = {};
      for (const [partition, list] of done) positions[partition] = list[list.length - 1]!;
      telemetry.emit('commit', { positions, durationMs: clock.now() - started });
    }
  }
}
