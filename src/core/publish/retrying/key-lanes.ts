/** What a key lane orders: an entry for a record that may have a key. */
export interface Keyed {
  readonly record: { readonly key?: string };
}

/**
 * Per-key FIFO of the retrying publisher. Per key, the pending entries in publish order; only the first
 * (the head) may be ready, waiting for a retry or in flight, so one key's records go out one at a time
 * and in order. Entries without a key are not ordered and never wait here.
 */
export class KeyLanes<T extends Keyed> {
  private readonly lanes = new Map<string, T[]>();

  /** Takes `entry` in; true when it may go now (it has no key, or is the only pending one of its key). */
  enter(entry: T): boolean {
    const key = entry.record.key;
    if (key === undefined) return true;
    const lane = this.lanes.get(key);
    if (lane !== undefined) {
      lane.push(entry);
      return false;
    }
    this.lanes.set(key, [entry]);
    return true;
  }

  /**
   * `entry` leaves for good (delivered, parked or abandoned). Returns the next entry of its key when
   * that one may go now (`entry` was the head); leaving twice does nothing.
   */
  leave(entry: T): T | undefined {
    const key = entry.record.key;
    if (key === undefined) return undefined;
    const lane = this.lanes.get(key);
    if (lane === undefined) return undefined;
    const index = lane.indexOf(entry);
    if (index < 0) return undefined;
    lane.splice(index, 1);
    const next = lane[0];
    if (next === undefined) this.lanes.delete(key);
    return index === 0 ? next : undefined;
  }
}
