/** What an abort watch holds: an entry that may come with its caller's abort signal. */
export interface Abortable {
  readonly signal: AbortSignal | undefined;
}

/** One signal's listener and the entries it speaks for, in the order they were watched. */
interface Watched<T> {
  readonly entries: Set<T>;
  readonly listener: () => void;
}

/**
 * The callers' abort signals of the retrying publisher's entries: one `abort` listener per signal,
 * however many entries are watched on it (an agent hands the same signal to every record it publishes,
 * and a listener per record made each `publish` walk the signal's list of up to `maxInFlight` listeners).
 * When a signal aborts, `onAbort` is told of each entry still watched on it, in the order they were
 * watched, with the signal's reason. `unwatch` takes an entry out (twice does nothing); a signal left
 * without entries loses its listener.
 */
export class AbortWatch<T extends Abortable> {
  private readonly watched = new Map<AbortSignal, Watched<T>>();

  constructor(private readonly onAbort: (entry: T, reason: unknown) => void) {}

  /** Watches the entry's signal for it (an entry without a signal is not watched). */
  watch(entry: T): void {
    const signal = entry.signal;
    if (signal === undefined) return;
    const watched = this.watched.get(signal);
    if (watched !== undefined) {
      watched.entries.add(entry);
      return;
    }
    const entries = new Set<T>([entry]);
    const listener = () => {
      this.watched.delete(signal);
      // A copy: what `onAbort` does may take entries out of the set meanwhile.
      for (const aborted of [...entries]) this.onAbort(aborted, signal.reason);
    };
    this.watched.set(signal, { entries, listener });
    signal.addEventListener('abort', listener, { once: true });
  }

  unwatch(entry: T): void {
    const signal = entry.signal;
    if (signal === undefined) return;
    const watched = this.watched.get(signal);
    if (watched === undefined || !watched.entries.delete(entry) || watched.entries.size > 0) return;
    this.watched.delete(signal);
    signal.removeEventListener('abort', watched.listener);
  }
}
