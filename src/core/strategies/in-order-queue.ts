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
  /** Unordered only: per entry of `entries`, whether it was forwarded (ahead of `head`). */
  private readonly gone: boolean[] = [];
  /** Index in `entries` of the oldest entry not forwarded yet. */
  private head = 0;
  /** Position of `entries[0]`. */
  private base = 0;
  /** Entries forwarded ahead of `head` (unordered only). */
  private ahead = 0;

  /**
   * @param forward submits a finished entry to the next step; throws what the next step throws. Made
   *   once by the owner, so forwarding allocates no closure.
   * @param ordered false: a finished entry leaves at once, whatever is still at work before it (a source
   *   that settles each message has no order to keep); positions and `oldest` work the same.
   */
  constructor(
    private readonly forward: (entry: E) => void,
    private readonly ordered = true,
  ) {}

  /** Entries not forwarded yet. */
  get size(): number {
    return this.entries.length - this.head - this.ahead;
  }

  /** The entries not forwarded yet, oldest first. */
  *unforwarded(): IterableIterator<E> {
    for (let i = this.head; i < this.entries.length; i++) if (this.gone[i] !== true) yield this.entries[i]!;
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
    if (!this.ordered) this.gone.push(false);
  }

  /** Drops every entry without forwarding it; positions go on from `end`. */
  clear(): void {
    this.base += this.entries.length;
    this.entries.length = 0;
    this.gone.length = 0;
    this.head = 0;
    this.ahead = 0;
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
    if (!this.ordered) {
      this.forwardAnyReady();
      return;
    }
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

  /**
   * Unordered: forwards every finished entry, oldest first, skipping unfinished ones; stops where the
   * next step rejects. Throws as `forwardReady` does, for the failed entry it reaches.
   */
  private forwardAnyReady(): void {
    const entries = this.entries;
    const gone = this.gone;
    try {
      for (let i = this.head; i < entries.length; i++) {
        if (gone[i]) continue;
        const entry = entries[i]!;
        if (!entry.done) continue;
        if (entry.error !== undefined) throw entry.error;
        try {
          this.forward(entry);
        } catch (error) {
          if (error instanceof MessageRejected) return;
          if (error instanceof InvalidMessage) this.leave(i);
          throw error;
        }
        this.leave(i);
      }
    } finally {
      this.skipGone();
    }
  }

  /** Unordered: marks the entry at index `i` forwarded. */
  private leave(i: number): void {
    this.gone[i] = true;
    if (i !== this.head) this.ahead++;
  }

  /** Unordered: moves `head` past the entries forwarded ahead of it. */
  private skipGone(): void {
    if (!this.gone[this.head]) return;
    this.gone[this.head] = false;
    this.advance();
    while (this.head < this.entries.length && this.gone[this.head]) {
      this.ahead--;
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
      if (!this.ordered) this.gone.splice(0, this.head);
      this.base += this.head;
      this.head = 0;
    }
  }
}
