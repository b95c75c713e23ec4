import { InvalidMessage, MessageRejected } from './processing-strategy.js';

/** What an `InOrderQueue` reads of its entries; the owner sets both when the entry's work settles. */
export interface InOrderEntry {
  /** The entry's work is over: it leaves once every entry pushed before it has. */
  readonly done: boolean;
  /** Why the work failed, if it did: `forwardReady` throws it instead of forwarding the entry. */
  readonly error?: unknown;
}

/**
 * The entries of a strategy whose work finishes in any order, forwarded in the order they were pushed
 * (head-of-line: a finished entry waits for the ones before it). Internal to the strategies.
 *
 * Every entry keeps the position it was pushed at (0, 1, 2, … over the queue's life), so cursors the
 * owner keeps into the queue stay valid while entries leave. Storage is one array, emptied whenever
 * the last entry leaves and compacted when most of it was forwarded (a steady flow may never empty it):
 * nothing is allocated per entry and the array stays bounded by the entries in flight.
 */
export class InOrderQueue<E extends InOrderEntry> {
  private readonly entries: E[] = [];
  /** Index in `entries` of the oldest entry not forwarded yet. */
  private head = 0;
  /** Position of `entries[0]`. */
  private base = 0;

  /**
   * @param forward submits a finished entry to the next step; throws what the next step throws. Made
   *   once by the owner, so forwarding allocates no closure.
   */
  constructor(private readonly forward: (entry: E) => void) {}

  /** Entries not forwarded yet. */
  get size(): number {
    return this.entries.length - this.head;
  }

  /** The oldest entry not forwarded yet. */
  get oldest(): E | undefined {
    return this.entries[this.head];
  }

  /** The position the next entry pushed gets. */
  get end(): number {
    return this.base + this.entries.length;
  }

  /** The entry at `position`; `undefined` once the queue emptied past it. */
  at(position: number): E | undefined {
    return this.entries[position - this.base];
  }

  push(entry: E): void {
    this.entries.push(entry);
  }

  /** Drops every entry without forwarding it; positions go on from `end`. */
  clear(): void {
    this.base += this.entries.length;
    this.entries.length = 0;
    this.head = 0;
  }

  /**
   * Forwards the finished entries at the head, oldest first, up to the first unfinished one, and stops
   * quietly where the next step throws `MessageRejected` (that entry is forwarded again next time).
   * @throws the `error` of a failed entry at the head; it stays there, so every call throws it again.
   * @throws InvalidMessage from the next step: the message is taken (a later step parks it), so the
   *   entry leaves and the next call goes on with the rest.
   * @throws any other error of the next step; the entry stays.
   */
  forwardReady(): void {
    while (this.head < this.entries.length) {
      const entry = this.entries[this.head]!;
      if (!entry.done) return;
      if (entry.error !== undefined) throw entry.error;
      try {
        this.forward(entry);
      } catch (error) {
        if (error instanceof MessageRejected) return;
        if (error instanceof InvalidMessage) this.advance();
        throw error;
      }
      this.advance();
    }
  }

  private advance(): void {
    this.head++;
    if (this.head === this.entries.length) {
      this.clear();
    } else if (this.head >= 1024 && this.head * 2 >= this.entries.length) {
      // Under a steady flow the queue may never empty: drop what was forwarded, keeping positions.
      this.entries.splice(0, this.head);
      this.base += this.head;
      this.head = 0;
    }
  }
}
