import type { RunState } from '../../src/core/model/run-record.js';
import type { JournalBatch } from '../../src/core/store/journal.js';
import type { CheckpointWrite } from '../../src/core/store/records.js';
import type { SqliteStateStore } from '../../src/core/store/sqlite/sqlite-state-store.js';
import type { FlushResult, StateStore } from '../../src/core/store/state-store.js';
import type { SimClock } from './sim-clock.js';

/**
 * Deliberate breakages of the store as the engine sees it, to show that each invariant check fires
 * (`npm run sim -- --mutate NAME`). None is on in a normal run.
 * - `unfenced`: checkpoint writes lose their lease fence (a stale owner's commit gets through);
 * - `rewind`: checkpoint writes of odd positions land three positions back;
 * - `lose-parks`: parked failures are never written;
 * - `double-park`: every parked failure is written twice, under two keys;
 * - `forget-runs`: run lookups answer that no run exists (succeeded runs execute again).
 */
export const MUTATIONS = ['unfenced', 'rewind', 'lose-parks', 'double-park', 'forget-runs'] as const;
export type Mutation = (typeof MUTATIONS)[number];

export interface SimStoreHooks {
  readonly mutation?: Mutation;
  /** How long (simulated ms) the next flush is held before it is written: the store writer's latency. */
  readonly flushLatency: () => number;
  /** A flush was written (it is durable now), with the checkpoint writes it carried and those refused. */
  readonly afterFlush: (checkpoints: readonly CheckpointWrite[], result: FlushResult) => void;
  /** A run lookup answered. */
  readonly onLookup: (ids: readonly string[], states: ReadonlyMap<string, RunState>) => void;
}

/** What every store call of a crashed agent gets. */
export class CrashedError extends Error {
  constructor() {
    super('simulated crash: this agent is gone');
  }
}

/**
 * One agent's connection to the shared store file, as the simulation sees it: the real SQLite store,
 * with flushes held for a seeded latency (so the window between `journal.take()` and the write being
 * durable exists in simulated time), calls that hang while the agent is stalled (its leases expire
 * meanwhile), and calls that fail once it crashed (a killed process writes nothing more: no last
 * commit, no lease release).
 */
export class SimStore implements StateStore {
  readonly kind = 'sqlite' as const;
  readonly location: string;
  readonly checkpoints: StateStore['checkpoints'];
  readonly leases: StateStore['leases'];
  readonly failed: StateStore['failed'];
  readonly runs: StateStore['runs'];
  readonly efforts: StateStore['efforts'];
  readonly agents: StateStore['agents'];
  readonly control: StateStore['control'];
  readonly log: StateStore['log'];
  crashed = false;
  stalledUntil = Number.NEGATIVE_INFINITY;

  constructor(
    readonly inner: SqliteStateStore,
    private readonly clock: SimClock,
    private readonly hooks: SimStoreHooks,
  ) {
    this.location = inner.location;
    this.checkpoints = this.guard(inner.checkpoints);
    this.leases = this.guard(inner.leases);
    this.failed = this.guard(inner.failed);
    this.efforts = this.guard(inner.efforts);
    this.agents = this.guard(inner.agents);
    this.control = this.guard(inner.control);
    this.log = this.guard(inner.log);
    const runs = this.guard(inner.runs);
    this.runs = new Proxy(runs, {
      get: (target, key, receiver) => {
        if (key !== 'lookup') return Reflect.get(target, key, receiver);
        return (ids: readonly string[], eventIds?: readonly string[]) =>
          (hooks.mutation === 'forget-runs' ? runs.lookup([]) : runs.lookup(ids, eventIds)).then((states) => {
            this.hooks.onLookup(ids, states);
            return states;
          });
      },
    });
  }

  flush(given: JournalBatch, checkpoints?: readonly CheckpointWrite[]): Promise<FlushResult> {
    const batch = this.mutate(given);
    if (checkpoints !== undefined && this.hooks.mutation === 'unfenced') {
      checkpoints = checkpoints.map(({ fence: _, ...write }) => write);
    }
    if (checkpoints !== undefined && this.hooks.mutation === 'rewind') {
      checkpoints = checkpoints.map((w) =>
        Number(w.position) % 2 === 1 ? { ...w, position: String(Math.max(0, Number(w.position) - 3)) } : w,
      );
    }
    const write = (): Promise<FlushResult> =>
      this.call(() =>
        this.inner.flush(batch, checkpoints).then((result) => {
          this.hooks.afterFlush(checkpoints ?? [], result);
          return result;
        }),
      );
    const latency = this.hooks.flushLatency();
    return latency > 0 ? this.clock.sleep(latency).then(write) : write();
  }

  private mutate(batch: JournalBatch): JournalBatch {
    switch (this.hooks.mutation) {
      case 'lose-parks':
        return { ...batch, parked: [] };
      case 'double-park':
        return { ...batch, parked: batch.parked.flatMap((p) => [p, { ...p, key: `${p.key}#again` }]) };
      default:
        return batch;
    }
  }

  async close(): Promise<void> {
    await this.inner.close();
  }

  /** Runs a store call unless crashed; while stalled, it waits for the stall to end first. */
  private call<T>(body: () => Promise<T>): Promise<T> {
    if (this.crashed) return Promise.reject(new CrashedError());
    const wait = this.stalledUntil - this.clock.now();
    if (wait <= 0) return body();
    return this.clock.sleep(wait).then(() => this.call(body));
  }

  private guard<T extends object>(target: T): T {
    return new Proxy(target, {
      get: (t, key) => {
        const value = Reflect.get(t, key, t) as unknown;
        if (typeof value !== 'function') return value;
        if (key === 'iterate')
          return (...args: unknown[]) => (value as (...a: unknown[]) => unknown).apply(t, args);
        return (...args: unknown[]) =>
          this.call(() => (value as (...a: unknown[]) => Promise<unknown>).apply(t, args));
      },
    });
  }
}
