/** One remembered message. */
export interface LatestEntry<T> {
  readonly key: string;
  readonly value: T;
  readonly at: number;
  /** How many messages had this key. */
  readonly count: number;
}

/**
 * The last message seen per key (event type, routing key), for the console: "what did the last
 * `submission.finalized` look like?". Bounded: the least recently seen key is forgotten beyond `maxKeys`.
 */
export class LatestMessages<T> {
  private readonly entries = new Map<string, LatestEntry<T>>();

  constructor(private readonly maxKeys = 100) {}

  record(key: string, value: T, at: number): void {
    const previous = this.entries.get(key);
    if (previous) this.entries.delete(key);
    this.entries.set(key, { key, value, at, count: (previous?.count ?? 0) + 1 });
    if (this.entries.size > this.maxKeys) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }

  get(key: string): LatestEntry<T> | undefined {
    return this.entries.get(key);
  }

  /** Most recently seen first. */
  list(): LatestEntry<T>[] {
    return [...this.entries.values()].reverse();
  }

  get size(): number {
    return this.entries.size;
  }
}
