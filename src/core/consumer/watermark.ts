import type { Position } from '../types.js';

interface Entry {
  readonly position: Position;
  done: boolean;
}

/**
 * The commit watermark of one partition. Positions are tracked in the order the source delivered them;
 * they may be marked done in any order; `committable` is the highest position such that it and every
 * position tracked before it are done. Marking a position done twice, or one never tracked (revoked,
 * or already committed), is a no-op.
 *
 * Cost: O(1) amortised per message. As in `DoneLog`, the lookup map by position is built only when a
 * position is done away from the head, and dropped once every tracked position is passed: in the in-order
 * case (an inline runner) no position is hashed. A map kept for the partition's life took a set and a
 * delete per message, and its table — old, like the watermark — was rehashed into the old generation.
 */
export class Watermark {
  private queue: Entry[] = [];
  private head = 0;
  /** The entries from the head on, by position, while one was done away from the head (see `lookup`). */
  private byPosition: Map<Position, Entry> | undefined;
  private last: Position | undefined;
  private dirty = false;

  /** Starts tracking a delivered position (must come after every position tracked before). */
  track(position: Position): void {
    const entry: Entry = { position, done: false };
    this.queue.push(entry);
    this.byPosition?.set(position, entry);
  }

  /** Marks a tracked position done; returns whether the watermark moved. */
  done(position: Position): boolean {
    const first = this.queue[this.head];
    const entry = first !== undefined && first.position === position ? first : this.lookup(position);
    if (entry === undefined || entry.done) return false;
    entry.done = true;
    return this.advance();
  }

  /** The highest contiguous done position, or `undefined` if nothing was ever done. */
  get committable(): Position | undefined {
    return this.last;
  }

  /** True when the watermark moved since the last `takeCommittable`. */
  get changed(): boolean {
    return this.dirty;
  }

  /** Returns the watermark if it moved since the last call, and clears the flag. */
  takeCommittable(): Position | undefined {
    if (!this.dirty) return undefined;
    this.dirty = false;
    return this.last;
  }

  /** The first tracked position not done yet, or `undefined` when every tracked position is done. */
  get oldestPending(): Position | undefined {
    return this.queue[this.head]?.position;
  }

  /** Tracked positions not yet committable (in flight or waiting behind one that is). */
  get pending(): number {
    return this.queue.length - this.head;
  }

  /** True when every tracked position is done. */
  get drained(): boolean {
    return this.pending === 0;
  }

  /** The entry of `position` from the head on: the map is built on the first miss at the head. */
  private lookup(position: Position): Entry | undefined {
    if (this.byPosition === undefined) {
      const byPosition = new Map<Position, Entry>();
      for (let i = this.head; i < this.queue.length; i++) {
        const entry = this.queue[i]!;
        byPosition.set(entry.position, entry);
      }
      this.byPosition = byPosition;
    }
    return this.byPosition.get(position);
  }

  private advance(): boolean {
    let moved = false;
    const queue = this.queue;
    const byPosition = this.byPosition;
    while (this.head < queue.length) {
      const entry = queue[this.head]!;
      if (!entry.done) break;
      byPosition?.delete(entry.position);
      this.last = entry.position;
      this.head++;
      moved = true;
    }
    if (moved) {
      this.dirty = true;
      if (this.head === queue.length) this.byPosition = undefined;
      if (this.head > 1024 && this.head * 2 > queue.length) {
        this.queue = queue.slice(this.head);
        this.head = 0;
      }
    }
    return moved;
  }
}
