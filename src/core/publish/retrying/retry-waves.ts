import { type Clock, SLEEP_CANCELLED } from '../../clock.js';

/** What waits in a wave: it carries its due time while it waits. */
export interface Waiting {
  dueAt?: number;
}

/** Entries whose retries are due at the same instant: they wake together, so they can share a send. */
interface Wave<T> {
  readonly entries: Set<T>;
  readonly cancel: AbortController;
}

/**
 * Retry waits of the retrying publisher, by due time: one clock sleep per due time, however many entries
 * wait for it. When a wave's time comes each of its entries is handed to `onDue` (its `dueAt` cleared
 * first); an entry taken out before that (`cancel`) is not, and a wave left empty stops its sleep. Each
 * sleep is handed to `track` (it never rejects), so that closing can wait for it.
 */
export class RetryWaves<T extends Waiting> {
  private readonly waves = new Map<number, Wave<T>>();

  constructor(
    private readonly clock: Clock,
    private readonly onDue: (entry: T) => void,
    private readonly track: (sleep: Promise<unknown>) => void,
  ) {}

  /** `entry` waits until `dueAt` (clock time). */
  wait(entry: T, dueAt: number): void {
    let wave = this.waves.get(dueAt);
    if (wave === undefined) {
      const created: Wave<T> = { entries: new Set(), cancel: new AbortController() };
      const waking = this.clock.sleep(dueAt - this.clock.now(), created.cancel.signal).then(
        () => {
          this.waves.delete(dueAt);
          for (const waiting of created.entries) {
            waiting.dueAt = undefined;
            this.onDue(waiting);
          }
        },
        () => undefined,
      );
      this.track(waking);
      this.waves.set(dueAt, created);
      wave = created;
    }
    wave.entries.add(entry);
    entry.dueAt = dueAt;
  }

  /** Takes `entry` out of its wave, if it waits, cancelling the wave's sleep when it was the last one. */
  cancel(entry: T): void {
    const dueAt = entry.dueAt;
    if (dueAt === undefined) return;
    entry.dueAt = undefined;
    const wave = this.waves.get(dueAt);
    if (wave === undefined) return;
    wave.entries.delete(entry);
    if (wave.entries.size > 0) return;
    this.waves.delete(dueAt);
    wave.cancel.abort(SLEEP_CANCELLED);
  }
}
