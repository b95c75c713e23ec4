import type { Clock } from '../clock.js';
import { describeError } from '../errors/agentctl-error.js';
import type { PartitionInfo, Source } from '../sources/source.js';
import type { Fence, Lease } from '../store/records.js';
import type { StateStore } from '../store/state-store.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import { END_OF_PARTITION, type Partition } from '../types.js';
import type { AssignmentChanges, Assignor, Revocation } from './assignor.js';
import { ownerProvablyDead } from './owner-liveness.js';

export interface LeaseAssignorOptions {
  readonly source: Source;
  readonly store: StateStore;
  readonly group: string;
  readonly owner: string;
  readonly clock: Clock;
  readonly telemetry?: Telemetry;
  /** How long a lease lasts without renewal (default 10 s). A dead owner's partitions move after this. */
  readonly ttlMs?: number;
  /** How often leases are renewed and balance re-examined (default ttl / 3). */
  readonly intervalMs?: number;
  /** How often the source is asked for its partitions (default 10 s; Kinesis ListShards is rate-limited). */
  readonly discoverEveryMs?: number;
  /** Whether a lease holder is provably dead, its lease taken at once (default: `ownerProvablyDead`). */
  readonly isDead?: (owner: string) => boolean;
}

/**
 * Splits a source's partitions between the agents of one group through leases in the state store.
 *
 * Every tick it renews its leases, then aims at a fair share — ⌈eligible partitions / live owners⌉,
 * where live owners are the holders of unexpired leases plus agents of the group heartbeating on this
 * source — releasing surplus partitions (after their final commit) and taking free or expired ones. A
 * partition is eligible when it is not finished (checkpoint `END`) and all its parents are finished, so a
 * child shard is only read after its parents. A lease that cannot be renewed is treated as lost before
 * it could expire (self-fencing), so two owners never read one partition knowingly; checkpoint writes are
 * fenced by the lease counter in any case.
 */
export class LeaseAssignor implements Assignor {
  private readonly ttlMs: number;
  private readonly intervalMs: number;
  private readonly discoverEveryMs: number;
  private readonly leases = new Map<Partition, Lease>();
  private readonly renewedAt = new Map<Partition, number>();
  private readonly releasing = new Set<Partition>();
  private readonly finished = new Set<Partition>();
  private assigned: Partition[] = [];
  private revoked: Revocation[] = [];
  private known: PartitionInfo[] = [];
  private discoveredAt = Number.NEGATIVE_INFINITY;
  private lock: Promise<unknown> = Promise.resolve();
  private readonly controller = new AbortController();
  private loop: Promise<void> | undefined;
  /** Eligible partitions that no live agent holds, as of the last tick. */
  private orphaned = 0;
  /** Others' leases as first seen, until they prove alive (see `settled`); then `null`. */
  private readonly unproven = new Map<Partition, Lease | null>();
  /** The leases already waited for aloud (partition → owner and counter), so it is said once. */
  private readonly announced = new Map<Partition, string>();

  constructor(private readonly options: LeaseAssignorOptions) {
    this.ttlMs = options.ttlMs ?? 10_000;
    this.intervalMs = options.intervalMs ?? Math.max(50, Math.floor(this.ttlMs / 3));
    this.discoverEveryMs = options.discoverEveryMs ?? 10_000;
  }

  async start(signal: AbortSignal, listed?: readonly PartitionInfo[]): Promise<void> {
    signal.addEventListener('abort', () => this.controller.abort(signal.reason), { once: true });
    await this.exclusive(() => this.tick(true, listed));
    this.loop = this.background();
  }

  takeChanges(): AssignmentChanges {
    if (this.assigned.length === 0 && this.revoked.length === 0) return { assigned: [], revoked: [] };
    const changes = { assigned: this.assigned, revoked: this.revoked };
    this.assigned = [];
    this.revoked = [];
    return changes;
  }

  refresh(): Promise<void> {
    return this.exclusive(() => this.tick(true));
  }

  fence(partition: Partition): Fence | undefined {
    const lease = this.leases.get(partition);
    return lease === undefined
      ? { owner: this.options.owner, counter: -1 }
      : { owner: lease.owner, counter: lease.counter };
  }

  ended(partition: Partition): void {
    this.finished.add(partition);
    // A partition that ends (a closed shard) usually has children: look for them at the next tick.
    this.discoveredAt = Number.NEGATIVE_INFINITY;
    if (this.leases.has(partition) && !this.releasing.has(partition)) {
      this.releasing.add(partition);
      this.revoked.push({ partition, reason: 'ended' });
    }
  }

  released(partitions: readonly Partition[]): Promise<void> {
    return this.exclusive(async () => {
      for (const partition of partitions) {
        const lease = this.leases.get(partition);
        this.leases.delete(partition);
        this.renewedAt.delete(partition);
        this.releasing.delete(partition);
        if (lease) await this.options.store.leases.release(lease);
      }
    });
  }

  /**
   * True when every readable partition is held by this agent or by another agent that is alive: nothing
   * is waiting for an owner (a dead agent's partitions count as waiting until their leases expire).
   */
  settled(): boolean {
    if (this.orphaned > 0) return false;
    for (const lease of this.unproven.values()) if (lease !== null) return false;
    return true;
  }

  held(): readonly Partition[] {
    return [...this.leases.keys()].filter((p) => !this.releasing.has(p));
  }

  async owners(): Promise<Map<Partition, string>> {
    const now = this.options.clock.now();
    const all = await this.options.store.leases.list(this.options.group, this.options.source.id);
    return new Map(all.filter((l) => l.owner !== '' && l.expiresAt > now).map((l) => [l.partition, l.owner]));
  }

  async stop(): Promise<void> {
    this.controller.abort(new Error('stopped'));
    await this.loop?.catch(() => undefined);
    await this.released([...this.leases.keys()]);
  }

  private async background(): Promise<void> {
    const signal = this.controller.signal;
    while (!signal.aborted) {
      try {
        await this.options.clock.sleep(this.intervalMs, signal);
      } catch {
        return;
      }
      try {
        await this.exclusive(() => this.tick(false));
      } catch (error) {
        this.options.telemetry?.emit('warning', {
          message: `lease maintenance failed: ${describeError(error)}`,
          error,
        });
      }
    }
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.lock.then(work, work);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /** `listed`: partitions the source listed just now (see `start`), used instead of a new listing. */
  private async tick(discover: boolean, listed?: readonly PartitionInfo[]): Promise<void> {
    const { store, source, group, owner, clock } = this.options;
    await this.renew();
    const now = clock.now();
    if (discover || now - this.discoveredAt >= this.discoverEveryMs) {
      this.known = listed !== undefined ? [...listed] : await source.partitions(this.controller.signal);
      this.discoveredAt = now;
    }
    const checkpoints = await store.checkpoints.get(group, source.id);
    for (const [partition, checkpoint] of checkpoints) {
      if (checkpoint.position === END_OF_PARTITION) this.finished.add(partition);
    }
    const ids = new Set(this.known.map((p) => p.id));
    const eligible = this.known
      .filter((p) => !this.finished.has(p.id))
      .filter((p) => (p.parents ?? []).every((parent) => this.finished.has(parent) || !ids.has(parent)))
      .map((p) => p.id)
      .sort();
    const all = await store.leases.list(group, source.id);
    const dead = this.deadHolders(all, eligible, now);
    // Agents that are really there: heartbeating recently and not stopped. A stopped agent's heartbeat
    // stays fresh for a moment and a crashed one's lease outlives it; neither should get a share.
    const agents = new Set<string>([owner]);
    for (const agent of await store.agents.list({ group, aliveWithinMs: Math.max(1_000, this.ttlMs / 2) })) {
      if (
        agent.source === source.id &&
        agent.state !== 'SHUTDOWN' &&
        agent.state !== 'ERROR' &&
        !dead.has(agent.id)
      )
        agents.add(agent.id);
    }
    const live = new Set<string>(agents);
    for (const lease of all) {
      if (lease.owner !== '' && lease.expiresAt > now && agents.has(lease.owner)) live.add(lease.owner);
    }
    const target = Math.ceil(eligible.length / live.size);
    this.orphaned = eligible.filter((p) => {
      if (this.leases.has(p)) return false;
      const lease = all.find((l) => l.partition === p);
      return lease === undefined || lease.owner === '' || lease.expiresAt <= now || !agents.has(lease.owner);
    }).length;
    const mine = eligible.filter((p) => this.leases.has(p) && !this.releasing.has(p));
    for (const partition of this.leases.keys()) {
      if (!this.releasing.has(partition) && this.finished.has(partition)) {
        this.releasing.add(partition);
        this.revoked.push({ partition, reason: 'ended' });
      }
    }
    if (mine.length > target) {
      for (const partition of mine.slice(target)) {
        this.releasing.add(partition);
        this.revoked.push({ partition, reason: 'rebalance' });
      }
      return;
    }
    const takenByOthers = new Set(
      all
        .filter((l) => l.owner !== '' && l.owner !== owner && l.expiresAt > now && !dead.has(l.owner))
        .map((l) => l.partition),
    );
    let wanted = target - mine.length;
    for (const partition of eligible) {
      if (wanted <= 0) break;
      if (this.leases.has(partition) || takenByOthers.has(partition)) continue;
      const held = all.find((l) => l.partition === partition && dead.has(l.owner));
      const lease = await store.leases.acquire({
        group,
        source: source.id,
        partition,
        owner,
        ttlMs: this.ttlMs,
        ...(held === undefined ? {} : { takeFrom: { owner: held.owner, counter: held.counter } }),
      });
      if (lease === undefined) continue;
      this.leases.set(partition, lease);
      this.renewedAt.set(partition, clock.now());
      this.assigned.push(partition);
      wanted--;
    }
  }

  /**
   * About other agents' leases on eligible partitions: which holders are provably dead (their leases are
   * taken at once, fenced by the counter); which leases are waited for — said once per lease, with until
   * when, once its renewal is overdue —; and which holders proved alive since first seen (a renewal, or a new holder) — `settled` is
   * false until each did or its lease went, so that `untilEmpty` does not stop beside a crashed agent
   * whose heartbeat still looks fresh while its partitions wait for its lease to expire.
   */
  private deadHolders(all: readonly Lease[], eligible: readonly Partition[], now: number): Set<string> {
    const { owner, telemetry } = this.options;
    const isDead = this.options.isDead ?? ownerProvablyDead;
    const dead = new Set<string>();
    const waiting = new Set<Partition>();
    for (const lease of all) {
      if (lease.owner === '' || lease.owner === owner || lease.expiresAt <= now) continue;
      if (!eligible.includes(lease.partition)) continue;
      if (isDead(lease.owner)) {
        dead.add(lease.owner);
        continue;
      }
      waiting.add(lease.partition);
      const first = this.unproven.get(lease.partition);
      if (first === undefined) this.unproven.set(lease.partition, lease);
      else if (first !== null && (first.owner !== lease.owner || lease.renewedAt > first.renewedAt))
        this.unproven.set(lease.partition, null);
      const key = `${lease.owner}#${lease.counter}`;
      const overdue = now - lease.renewedAt > this.intervalMs * 1.5;
      if (
        overdue &&
        this.unproven.get(lease.partition) !== null &&
        this.announced.get(lease.partition) !== key
      ) {
        this.announced.set(lease.partition, key);
        telemetry?.emit('warning', {
          message: `waiting for partition ${lease.partition} held by ${lease.owner} until ${new Date(lease.expiresAt).toISOString()} (unless it renews its lease)`,
        });
      }
    }
    for (const partition of this.unproven.keys())
      if (!waiting.has(partition)) this.unproven.delete(partition);
    return dead;
  }

  private async renew(): Promise<void> {
    const { store, clock, telemetry } = this.options;
    for (const [partition, lease] of [...this.leases]) {
      try {
        const renewed = await store.leases.renew(lease, this.ttlMs);
        if (renewed === undefined) {
          this.lose(partition, 'the lease was taken over');
          continue;
        }
        this.leases.set(partition, renewed);
        this.renewedAt.set(partition, clock.now());
      } catch (error) {
        const age = clock.now() - (this.renewedAt.get(partition) ?? 0);
        if (age > this.ttlMs * 0.8) this.lose(partition, `the lease could not be renewed for ${age} ms`);
        else telemetry?.emit('warning', { message: `lease renewal of ${partition} failed`, error });
      }
    }
  }

  private lose(partition: Partition, why: string): void {
    this.leases.delete(partition);
    this.renewedAt.delete(partition);
    this.releasing.delete(partition);
    this.assigned = this.assigned.filter((p) => p !== partition);
    this.revoked.push({ partition, reason: 'lost' });
    this.options.telemetry?.emit('warning', { message: `lost partition ${partition}: ${why}` });
  }
}
