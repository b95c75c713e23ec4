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
 * Cost: O(1) amortised per message; the in-order case never touches the lookup map.
 */
export class DoneLog {
  private queue: Entry[] = [];
  private head = 0;
  private readonly byPosition = new Map<Position, Entry>();
  private fresh: Position[] = [];
  private open = 0;

  /** Starts tracking a delivered position. */
  track(position: Position): void {
    const entry: Entry = { position, done: false };
    this.queue.push(entry);
    this.byPosition.set(position, entry);
    this.open++;
  }

  /** Marks a tracked position done; returns whether it was tracked and not done yet. */
  done(position: Position): boolean {
    const first = this.queue[this.head];
    const entry = first !== undefined && first.position === position ? first : this.byPosition.get(position);
    if (entry === undefined || entry.done) return false;
    entry.done = true;
    this.byPosition.delete(position);
    this.fresh.push(position);
    this.open--;
    this.advance();
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

  private advance(): void {
    const queue = this.queue;
    while (this.head < queue.length && queue[this.head]!.done) this.head++;
    if (this.head > 1024 && this.head * 2 > queue.length) {
      this.queue = queue.slice(this.head);
      this.head = 0;
    }
  }
}
