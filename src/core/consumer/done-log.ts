import type { Position } from '../types.js';

interface Entry {
  readonly position: Position;
  done: boolean;
}

/**
 * The progress of one partition of a source that settles each message (`settlement: 'each'`, an
 * ack-based queue): positions are tracked in delivery order and marked done in any order, and every
 * done position is handed out by `takeDone` on its own — no position waits for an earlier one. The
 * same surface as `Watermark` otherwise (`pending`, `drained`, `oldestPending`), so that the processor
 * counts in-flight work the same way for both.
 *
 * Cost: O(1) amortised per message. The lookup map by position is built only when a position is done
 * out of order, and dropped once every tracked position is done: in the in-order case (an inline
 * runner) no position string is ever hashed.
 */
export class DoneLog {
  private queue: Entry[] = [];
  private head = 0;
  /** The pending entries by position, while one was done out of order (see `lookup`). */
  private byPosition: Map<Position, Entry> | undefined;
  private fresh: Position[] = [];
  private open = 0;

  /** Starts tracking a delivered position. */
  track(position: Position): void {
    const entry: Entry = { position, done: false };
    this.queue.push(entry);
    this.byPosition?.set(position, entry);
    this.open++;
  }

  /** Marks a tracked position done; returns whether it was tracked and not done yet. */
  done(position: Position): boolean {
    const first = this.queue[this.head];
    const entry = first !== undefined && first.position === position ? first : this.lookup(position);
    if (entry === undefined || entry.done) return false;
    entry.done = true;
    this.byPosition?.delete(position);
    this.fresh.push(position);
    this.open--;
    this.advance();
    if (this.open === 0) this.byPosition = undefined;
    return true;
  }

  /** Whether positions were done since the last `takeDone`. */
  get changed(): boolean {
    return this.fresh.length > 0;
  }

  /** The positions done since the last call, in the order they were done; clears them. */
  takeDone(): Position[] {
    const taken = this.fresh;
    this.fresh = [];
    return taken;
  }

  /** The first tracked position not done yet, or `undefined` when every tracked position is done. */
  get oldestPending(): Position | undefined {
    return this.queue[this.head]?.position;
  }

  /** Tracked positions not done yet. */
  get pending(): number {
    return this.open;
  }

  /** True when every tracked position is done. */
  get drained(): boolean {
    return this.open === 0;
  }

  /** The pending entry of `position`: the map of pending entries is built on the first miss at the head. */
  private lookup(position: Position): Entry | undefined {
    if (this.byPosition === undefined) {
      const byPosition = new Map<Position, Entry>();
      for (let i = this.head; i < this.queue.length; i++) {
        const entry = this.queue[i]!;
        if (!entry.done) byPosition.set(entry.position, entry);
      }
      this.byPosition = byPosition;
    }
    return this.byPosition.get(position);
  }

  private advance(): void {
    const queue = this.queue;
    while (this.head < queue.length && queue[this.head]!.done) this.head++;
    if (this.head > 1024 && this.head * 2 > queue.length) {
      this.queue = queue.slice(this.head);
      this.head = 0;
    }
  }
}
