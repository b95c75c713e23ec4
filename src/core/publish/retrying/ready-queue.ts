/** What the ready queue holds: an entry whose record has a size, and that its caller may abandon. */
export interface Sendable {
  readonly record: { readonly value: Uint8Array };
  /** Abandoned (or culminated) since it became ready: skipped, never sent. */
  readonly settled: boolean;
}

/**
 * Entries due for a send, in the order they became due, taken a batch at a time. Taking is O(1) per
 * entry (an index moves; the array is compacted once its taken part is large).
 */
export class ReadyQueue<T extends Sendable> {
  private readonly entries: T[] = [];
  /** Where the untaken part starts. */
  private head = 0;

  push(entry: T): void {
    this.entries.push(entry);
  }

  /**
   * The next batch: at most `maxBatch` entries with at most `maxBytes` bytes of values in all (an entry
   * larger than that goes alone), settled entries skipped. `admit` is asked of each entry in turn before
   * it joins; an entry it refuses is taken off the queue all the same (the caller dealt with it).
   */
  take(maxBatch: number, maxBytes: number, admit: (entry: T) => boolean): T[] {
    const batch: T[] = [];
    let bytes = 0;
    const entries = this.entries;
    for (
      let entry = entries[this.head];
      entry !== undefined && batch.length < maxBatch;
      entry = entries[this.head]
    ) {
      const size = entry.record.value.byteLength;
      if (batch.length > 0 && bytes + size > maxBytes && !entry.settled) break;
      this.head++;
      if (entry.settled || !admit(entry)) continue;
      batch.push(entry);
      bytes += size;
    }
    if (this.head > 1024 && this.head * 2 > entries.length) {
      entries.splice(0, this.head);
      this.head = 0;
    }
    return batch;
  }
}
