/**
 * A first-in, first-out buffer on one array with a moving head: taking from it shifts nothing. A taken
 * item's slot is cleared at once, so the buffer never keeps what it handed out; the array is dropped
 * whenever the last item leaves and compacted once most of it was taken, because a buffer that is topped
 * up as it is drained (a steady flow) may never empty, and must not grow.
 */
export class Fifo<T> {
  /** Slots before `head` were handed out and hold nothing. */
  private items: (T | undefined)[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /**
   * Moves up to `max` items, oldest first, to the end of `out`; returns how many. The buffer lets go of
   * them at once: an item handed over lives as long as the taker holds it, not until the array is next
   * dropped or compacted (a Kinesis shard's buffer, topped up a page at a time, kept messages its
   * processor was done with long enough for V8 to promote them to its old generation, issue 13).
   */
  takeInto(max: number, out: T[]): number {
    const items = this.items;
    const end = Math.min(items.length, this.head + max);
    const n = end - this.head;
    for (let i = this.head; i < end; i++) {
      out.push(items[i]!);
      items[i] = undefined;
    }
    this.head = end;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return n;
  }

  /** Takes up to `max` items, oldest first. */
  take(max: number): T[] {
    const taken: T[] = [];
    this.takeInto(max, taken);
    return taken;
  }

  /** Removes everything and returns it. */
  clear(): T[] {
    const all = this.items.slice(this.head) as T[];
    this.items = [];
    this.head = 0;
    return all;
  }

  /** Removes the items `drop` selects, keeping the others in order; returns the removed ones. */
  remove(drop: (item: T) => boolean): T[] {
    const kept: T[] = [];
    const dropped: T[] = [];
    for (let i = this.head; i < this.items.length; i++) {
      const item = this.items[i]!;
      (drop(item) ? dropped : kept).push(item);
    }
    this.items = kept;
    this.head = 0;
    return dropped;
  }
}
