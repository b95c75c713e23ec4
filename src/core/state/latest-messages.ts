/** One remembered message. */
export interface LatestEntry<T> {
  readonly key: string;
  readonly value: T;
  readonly at: number;
  /** How many messages had this key. */
  readonly count: number;
}

interface Entry<T> {
  readonly key: string;
  value: T;
  at: number;
  count: number;
}

/**
 * The last message seen per key (event type, routing key), for the console: "what did the last
 * `submission.finalized` look like?". Bounded: the least recently seen key is forgotten beyond `maxKeys`.
 */
export class LatestMessages<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(private readonly maxKeys = 100) {}

  record(key: string, value: T, at: number): void {
    const previous = this.entries.get(key);
    if (previous !== undefined) {
      // Updated in place: the hot path stays one lookup. Recency order is restored by `list()`.
      previous.value = value;
      previous.at = at;
      previous.count++;
      return;
    }
    this.entries.set(key, { key, value, at, count: 1 });
    if (this.entries.size > this.maxKeys) this.evictOldest();
  }

  private evictOldest(): void {
    let oldest: Entry<T> | undefined;
    for (const entry of this.entries.values())
      if (oldest === undefined || entry.at < oldest.at) oldest = entry;
    if (oldest !== undefined) this.entries.delete(oldest.key);
  }

  get(key: string): LatestEntry<T> | undefined {
    const entry = this.entries.get(key);
    return entry === undefined ? undefined : { ...entry };
  }

  /** Most recently seen first. */
  list(): LatestEntry<T>[] {
    return [...this.entries.values()].sort((a, b) => b.at - a.at).map((e) => ({ ...e }));
  }

  get size(): number {
    return this.entries.size;
  }
}
