import type { Clock } from '../clock.js';
import type { Source } from '../sources/source.js';
import { MessageRejected, type ProcessingStrategy } from '../strategies/processing-strategy.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { Bytes, Message, Partition, Position } from '../types.js';
import type { Committer } from './committer.js';
import type { PoisonGuard } from './poison-guard.js';

export interface CarriedBatchOptions {
  readonly source: Source;
  readonly clock: Clock;
  readonly telemetry: Telemetry;
  /** Which partitions are assigned: messages of others are skipped. */
  readonly committer: Committer;
  /** Checked after each submit once tripped, so that a storm stops within the batch. */
  readonly poison: PoisonGuard;
  /** A partition whose message is rejected this long is paused at the source (default 5 s). */
  readonly pauseAfterMs?: number;
}

/**
 * Backpressure: the batch a poll returned, held until the pipeline has taken all of it. `submit` hands
 * the messages on in order from a cursor; a `MessageRejected` stops it there, and the rest is submitted
 * again on the next loop. If rejections last `pauseAfterMs`, the rejected message's partition is paused
 * at the source (`backpressure` event); once the whole batch went through, every paused partition is
 * resumed. Messages of partitions no longer assigned are skipped. Any other error of the pipeline's
 * `submit` is thrown as it is. Called once per loop; allocates nothing per message.
 */
export class CarriedBatch {
  private messages: readonly Message<Bytes>[] = [];
  /** The first message not yet submitted. */
  private at = 0;
  private rejectedSince: number | undefined;
  private readonly paused = new Set<Partition>();

  constructor(private readonly options: CarriedBatchOptions) {}

  /** True while messages are held (the loop submits them instead of polling). */
  get holding(): boolean {
    return this.messages.length > 0;
  }

  /** True while the partition is paused at the source for backpressure. */
  isPaused(partition: Partition): boolean {
    return this.paused.has(partition);
  }

  /** Holds a fresh batch (the previous one was submitted whole). */
  hold(messages: readonly Message<Bytes>[]): void {
    this.messages = messages;
    this.at = 0;
  }

  /** Submits held messages in order until the pipeline rejects one. */
  submit(strategy: ProcessingStrategy<Bytes>): void {
    const { committer, poison } = this.options;
    const messages = this.messages;
    let i = this.at;
    try {
      for (; i < messages.length; i++) {
        const m = messages[i]!;
        if (!committer.has(m.partition)) continue;
        strategy.submit(m);
        if (poison.tripped) poison.check();
      }
    } catch (error) {
      if (!(error instanceof MessageRejected)) throw error;
      this.at = i;
      this.rejected(messages[i]!.partition);
      return;
    }
    this.messages = [];
    this.at = 0;
    this.rejectedSince = undefined;
    if (this.paused.size > 0) {
      const partitions = [...this.paused];
      this.paused.clear();
      this.options.source.resume(partitions);
      for (const partition of partitions)
        this.options.telemetry.emit('backpressure', { partition, paused: false });
    }
  }

  /**
   * After the pipeline was joined: the messages before the cursor were submitted to it, so only the rest
   * is held, less those of `gone` partitions.
   */
  keepUnsubmitted(gone: ReadonlySet<Partition>): void {
    this.messages = this.messages.slice(this.at).filter((m) => !gone.has(m.partition));
    this.at = 0;
  }

  /** The first position of each partition among the messages not yet submitted. */
  firstHeld(): Map<Partition, Position> {
    const held = new Map<Partition, Position>();
    for (let i = this.at; i < this.messages.length; i++) {
      const m = this.messages[i]!;
      if (!held.has(m.partition)) held.set(m.partition, m.position);
    }
    return held;
  }

  /** Drops the messages not yet submitted of these partitions (they are read again). */
  drop(partitions: { has(partition: Partition): boolean }): void {
    this.messages = this.messages.slice(this.at).filter((m) => !partitions.has(m.partition));
    this.at = 0;
  }

  /** The partition was revoked or reassigned at the source: it is no longer paused there. */
  forget(partition: Partition): void {
    this.paused.delete(partition);
  }

  private rejected(partition: Partition): void {
    const now = this.options.clock.now();
    if (this.rejectedSince === undefined) {
      this.rejectedSince = now;
      return;
    }
    if (now - this.rejectedSince >= (this.options.pauseAfterMs ?? 5_000) && !this.paused.has(partition)) {
      this.paused.add(partition);
      this.options.source.pause([partition]);
      this.options.telemetry.emit('backpressure', { partition, paused: true });
    }
  }
}
