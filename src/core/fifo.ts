/**
 * A first-in, first-out buffer on one array with a moving head: taking from it shifts nothing. The array
 * is dropped whenever the last item leaves and compacted once most of it was taken, because a buffer that
 * is topped up as it is drained (a steady flow) may never empty, and must not keep what it handed out.
 */
export class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** Moves up to `max` items, oldest first, to the end of `out`; returns how many. */
  takeInto(max: number, out: T[]): number {
    const end = Math.min(this.items.length, this.head + max);
    const n = end - this.head;
    for (let i = this.head; i < end; i++) out.push(this.items[i]!);
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
    const all = this.items.slice(this.head);
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
