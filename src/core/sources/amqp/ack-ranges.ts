/** One `basic.ack`: the tag, and whether it also acknowledges every unacked tag below it. */
export interface Ack {
  readonly tag: number;
  readonly multiple: boolean;
}

/**
 * The delivery tags of one channel that are not acknowledged yet, and how to acknowledge done ones
 * with as few frames as is safe. Tags are delivered in increasing order and settled in any order.
 * `settle` acks the done tags that form the oldest unacked run with one `multiple` ack (which
 * acknowledges every unacked tag up to it, so it is used only where all of them are done) and every
 * other done tag on its own: a tag still at work never holds the acknowledgement of a later one, and
 * is never acknowledged by a `multiple` ack.
 */
export class AckRanges {
  private tags: number[] = [];
  private head = 0;
  /** Delivered and neither acked nor forgotten. */
  private readonly live = new Set<number>();

  /** Unacked tags held now. */
  get unacked(): number {
    return this.live.size;
  }

  /** A tag was delivered (greater than every tag before it on this channel). */
  delivered(tag: number): void {
    this.tags.push(tag);
    this.live.add(tag);
  }

  /** A tag was settled otherwise (nacked, requeued): never to be acked. */
  forget(tag: number): void {
    this.live.delete(tag);
  }

  /** Nothing is outstanding any more (a new channel). */
  reset(): void {
    this.tags = [];
    this.head = 0;
    this.live.clear();
  }

  /** Every live tag at or below `tag`, in order: what "ack everything up to here" covers. */
  upTo(tag: number): number[] {
    const covered: number[] = [];
    for (let i = this.head; i < this.tags.length; i++) {
      const t = this.tags[i]!;
      if (t > tag) break;
      if (this.live.has(t)) covered.push(t);
    }
    return covered;
  }

  /**
   * Marks `done` tags acknowledged and returns the acks to send, in order: at most one `multiple` ack for
   * the oldest run of unacked tags that are all done now, then one ack per other done tag. Tags that are
   * not live (unknown, acked before, forgotten) are ignored.
   */
  settle(done: readonly number[]): Ack[] {
    const now = new Set<number>();
    for (const tag of done) if (this.live.delete(tag)) now.add(tag);
    if (now.size === 0) return [];
    const tags = this.tags;
    let last = -1;
    let inRun = 0;
    while (this.head < tags.length && !this.live.has(tags[this.head]!)) {
      const tag = tags[this.head]!;
      if (now.delete(tag)) {
        last = tag;
        inRun++;
      }
      this.head++;
    }
    this.compact();
    const acks: Ack[] = [];
    if (inRun > 0) acks.push({ tag: last, multiple: inRun > 1 });
    if (now.size > 0) {
      const rest = [...now].sort((a, b) => a - b);
      for (const tag of rest) acks.push({ tag, multiple: false });
    }
    return acks;
  }

  private compact(): void {
    if (this.head === this.tags.length) {
      this.tags = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.tags.length) {
      this.tags = this.tags.slice(this.head);
      this.head = 0;
    }
  }
}
