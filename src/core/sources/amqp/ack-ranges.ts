/** One `basic.ack`: the tag, and whether it also acknowledges every unacked tag below it. */
export interface Ack {
  readonly tag: number;
  readonly multiple: boolean;
}

/** Delivered, neither acked nor forgotten. */
const LIVE = 0;
/** Done in the `settle` call under way, not acked yet. */
const DONE = 1;
/** Acked or forgotten. */
const GONE = 2;

/**
 * The delivery tags of one channel that are not acknowledged yet, and how to acknowledge done ones
 * with as few frames as is safe. Tags are delivered in increasing order and settled in any order.
 * `settle` acks the done tags that form the oldest unacked run with one `multiple` ack (which
 * acknowledges every unacked tag up to it, so it is used only where all of them are done) and every
 * other done tag on its own: a tag still at work never holds the acknowledgement of a later one, and
 * is never acknowledged by a `multiple` ack.
 *
 * Cost: O(1) per tag delivered and settled while tags are consecutive (the broker numbers a channel's
 * deliveries 1, 2, 3, …), O(log n) otherwise. The tags and their states are two parallel arrays of
 * small integers, not sets: this runs once per message on the consumer's hot path, where hashing
 * every tag in and out of a set cost more than the rest of the bookkeeping together.
 */
export class AckRanges {
  private tags: number[] = [];
  private states: number[] = [];
  private head = 0;
  private live = 0;

  /** Unacked tags held now. */
  get unacked(): number {
    return this.live;
  }

  /** A tag was delivered (greater than every tag before it on this channel). */
  delivered(tag: number): void {
    this.tags.push(tag);
    this.states.push(LIVE);
    this.live++;
  }

  /** A tag was settled otherwise (nacked, requeued): never to be acked. */
  forget(tag: number): void {
    const i = this.indexOf(tag);
    if (i < 0 || this.states[i] !== LIVE) return;
    this.states[i] = GONE;
    this.live--;
  }

  /** Nothing is outstanding any more (a new channel). */
  reset(): void {
    this.tags = [];
    this.states = [];
    this.head = 0;
    this.live = 0;
  }

  /** Every live tag at or below `tag`, in order: what "ack everything up to here" covers. */
  upTo(tag: number): number[] {
    const covered: number[] = [];
    for (let i = this.head; i < this.tags.length; i++) {
      const t = this.tags[i]!;
      if (t > tag) break;
      if (this.states[i] === LIVE) covered.push(t);
    }
    return covered;
  }

  /**
   * Marks `done` tags acknowledged and returns the acks to send, in order: at most one `multiple` ack for
   * the oldest run of unacked tags that are all done now, then one ack per other done tag. Tags that are
   * not live (unknown, acked before, forgotten) are ignored.
   */
  settle(done: readonly number[]): Ack[] {
    const { tags, states } = this;
    const marked: number[] = [];
    for (let k = 0; k < done.length; k++) {
      const i = this.indexOf(done[k]!);
      if (i < 0 || states[i] !== LIVE) continue;
      states[i] = DONE;
      marked.push(i);
    }
    if (marked.length === 0) return [];
    this.live -= marked.length;
    let last = -1;
    let inRun = 0;
    while (this.head < tags.length && states[this.head] !== LIVE) {
      if (states[this.head] === DONE) {
        states[this.head] = GONE;
        last = tags[this.head]!;
        inRun++;
      }
      this.head++;
    }
    const acks: Ack[] = [];
    if (inRun > 0) acks.push({ tag: last, multiple: inRun > 1 });
    if (inRun < marked.length) {
      // Done behind a tag still at work: each on its own, in tag order (an index order is a tag order).
      const rest: number[] = [];
      for (let k = 0; k < marked.length; k++) {
        const i = marked[k]!;
        if (states[i] === DONE) {
          states[i] = GONE;
          rest.push(i);
        }
      }
      rest.sort((a, b) => a - b);
      for (let k = 0; k < rest.length; k++) acks.push({ tag: tags[rest[k]!]!, multiple: false });
    }
    this.compact();
    return acks;
  }

  /** The index of `tag` at or after the head, or -1. Consecutive tags are found at once. */
  private indexOf(tag: number): number {
    const tags = this.tags;
    let lo = this.head;
    let hi = tags.length - 1;
    if (lo > hi) return -1;
    const guess = lo + (tag - tags[lo]!);
    if (guess >= lo && guess <= hi && tags[guess] === tag) return guess;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const t = tags[mid]!;
      if (t === tag) return mid;
      if (t < tag) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  private compact(): void {
    if (this.head === this.tags.length) {
      this.tags = [];
      this.states = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.tags.length) {
      this.tags = this.tags.slice(this.head);
      this.states = this.states.slice(this.head);
      this.head = 0;
    }
  }
}
