import type { CloudEvent } from '../../src/core/events/cloud-event.js';
import { Random } from './random.js';

/**
 * Kinds of scenario, each aimed at one family of faults so that a fix can be checked on its own kind
 * (`npm run sim -- --kind rebalance`); `chaos` mixes them all.
 * - `groups`: 2–3 consumer groups on one store and source, rules of the same names.
 * - `duplicates`: the same CloudEvent (source + id) appended more than once, in one batch or across partitions.
 * - `rebalance`: agents of one group join and leave while slow steps run on the pool runner.
 * - `crash`: agents terminated at random points and reopened on the same store file; stalls that let leases expire.
 * - `chaos`: everything at once.
 */
export const KINDS = ['groups', 'duplicates', 'rebalance', 'crash', 'chaos'] as const;
export type Kind = (typeof KINDS)[number];

/** The kind a seed gets when none is forced. */
export function kindOfSeed(seed: number): Kind {
  return KINDS[seed % KINDS.length]!;
}

/** What an event asks of the steps that run for it. */
export interface SimEventData {
  readonly n: number;
  /** The work step sleeps this long (simulated time). */
  readonly slowMs?: number;
  /** `fatal`: FatalError; `transient`: fails `failTimes` tries then succeeds; `exhaust`: always fails. */
  readonly fail?: 'fatal' | 'transient' | 'exhaust';
  readonly failTimes?: number;
}

/** One record appended to the log, in order: an event, or bytes that are not an event (poison). */
export interface LogEntry {
  readonly partition: number;
  readonly event?: CloudEvent;
  readonly poison?: string;
  /** True when this event (same source and id) was appended before. */
  readonly duplicate?: boolean;
}

export type ProcessName = 'notify' | 'charge' | 'audit';

export interface RuleSpec {
  readonly name: string;
  readonly on: string;
  readonly process: ProcessName;
}

export interface AgentSlot {
  /** Starts at this simulated ms (from the scenario's start). */
  readonly startAt: number;
  /** Asked to drain (leave the group) at this ms. */
  readonly leaveAt?: number;
  /**
   * False for a long-running consumer (no `untilEmpty`): the driver asks it to drain once its group's
   * checkpoints reached the end of the log, or at the time limit.
   */
  readonly untilEmpty: boolean;
}

export interface CrashSpec {
  readonly slot: number;
  readonly at: number;
  /** A new agent on the reopened store file starts this long after the crash. */
  readonly restartAfter: number;
}

export interface Window {
  readonly at: number;
  readonly forMs: number;
}

export interface GroupSpec {
  readonly name: string;
  readonly rules: readonly RuleSpec[];
  readonly runner: { readonly kind: 'inline' } | { readonly kind: 'pool'; readonly concurrency: number };
  readonly drainTimeoutMs: number;
  readonly leaseTtlMs: number;
  readonly heartbeatMs: number;
  readonly commitPolicy: { readonly intervalMs: number; readonly messages: number };
  readonly pollMax: number;
  readonly agents: readonly AgentSlot[];
  readonly crashes: readonly CrashSpec[];
  /** An agent's store calls hang for a while (a pause long enough for its leases to expire). */
  readonly stalls: readonly (Window & { readonly slot: number })[];
  readonly sinkOutages: readonly Window[];
  readonly sourceOutages: readonly Window[];
}

export interface Scenario {
  readonly seed: number;
  readonly kind: Kind;
  readonly partitions: number;
  readonly entries: readonly LogEntry[];
  readonly groups: readonly GroupSpec[];
  /** Deliveries of one poll interleaved across partitions in a seeded order (each partition's order kept). */
  readonly reorder: boolean;
  /** Chance that a poll is delayed, and by at most how long. */
  readonly pollDelay: { readonly chance: number; readonly maxMs: number };
  /** Every store flush is held this long (simulated) before it is written: the writer's latency. */
  readonly flushLatencyMs: { readonly min: number; readonly max: number };
  /**
   * A restarted agent keeps the id of the one that crashed (a fixed id, as a pod name), instead of a new
   * one (the default `NAME@HOST#PID`).
   */
  readonly stableIds: boolean;
  /** Simulated time by which every agent must have finished (`untilEmpty`). */
  readonly limitMs: number;
}

/** Retries a step gets: a `transient` event with `failTimes` ≤ this succeeds. */
export const STEP_RETRIES = 2;
export const EVENT_SOURCE = '/sim/orders';
const TYPES = ['order.created', 'order.paid', 'order.shipped'] as const;
const GROUP_NAMES = ['alpha', 'beta', 'gamma'] as const;

/** The whole scenario a seed stands for. Same seed and kind, same scenario. */
export function generateScenario(seed: number, forcedKind?: Kind): Scenario {
  const kind = forcedKind ?? kindOfSeed(seed);
  const r = new Random(seed, `scenario:${kind}`);
  const partitions = kind === 'rebalance' ? r.int(2, 4) : r.int(1, 4);
  const entries = generateEntries(r, kind, partitions);
  const groupCount = kind === 'groups' ? r.int(2, 3) : kind === 'chaos' ? r.int(1, 3) : 1;
  const sameRuleNames = kind === 'groups' ? r.chance(0.8) : r.chance(0.5);
  const groups = Array.from({ length: groupCount }, (_, g) =>
    generateGroup(r, kind, GROUP_NAMES[g]!, sameRuleNames),
  );
  return {
    seed,
    kind,
    partitions,
    entries,
    groups,
    reorder: kind === 'rebalance' || kind === 'crash' ? r.chance(0.3) : r.chance(0.7),
    pollDelay: { chance: r.chance(0.5) ? 0.2 : 0, maxMs: r.int(5, 80) },
    stableIds: r.chance(0.5),
    flushLatencyMs: kind === 'duplicates' ? { min: 2, max: r.int(20, 80) } : { min: 0, max: r.int(0, 30) },
    limitMs: 60_000,
  };
}

function generateEntries(r: Random, kind: Kind, partitions: number): LogEntry[] {
  const count = r.int(15, 45);
  const slowChance = kind === 'rebalance' ? 0.6 : kind === 'duplicates' || kind === 'crash' ? 0.3 : 0.15;
  const failChance = kind === 'duplicates' || kind === 'rebalance' ? 0.04 : 0.08;
  const poisonChance = kind === 'groups' || kind === 'crash' || kind === 'chaos' ? 0.03 : 0;
  const dupChance = kind === 'duplicates' ? r.pick([0.15, 0.3, 0.45]) : kind === 'chaos' ? 0.08 : 0;
  const entries: LogEntry[] = [];
  const healthy: { event: CloudEvent; partition: number }[] = [];
  for (let n = 0; n < count; n++) {
    const partition = r.int(0, partitions - 1);
    if (r.chance(poisonChance)) {
      entries.push({ partition, poison: `{"not": "an event" #${n}` });
      continue;
    }
    const data: { -readonly [K in keyof SimEventData]: SimEventData[K] } = { n };
    if (r.chance(slowChance)) data.slowMs = kind === 'rebalance' ? r.int(100, 800) : r.int(10, 300);
    if (r.chance(failChance)) {
      data.fail = r.pick(['fatal', 'transient', 'transient', 'exhaust'] as const);
      if (data.fail === 'transient') data.failTimes = r.int(1, STEP_RETRIES);
    }
    const event: CloudEvent = {
      specversion: '1.0',
      id: `ev-${n}`,
      source: EVENT_SOURCE,
      type: r.pick(TYPES),
      time: new Date(1_790_000_000_000 + n * 1_000).toISOString(),
      data,
    };
    entries.push({ partition, event });
    // Only events that always succeed are duplicated: what a duplicate of a failing event should give
    // (parked again, or skipped as running) is not what this simulation checks.
    if (data.fail === undefined) healthy.push({ event, partition });
    if (healthy.length > 0 && r.chance(dupChance)) {
      const original = r.chance(0.5) ? healthy[healthy.length - 1]! : r.pick(healthy);
      // Same partition (read in the same batch) or another one (in flight at once elsewhere).
      const where = r.chance(0.5) ? original.partition : r.int(0, partitions - 1);
      entries.push({ partition: where, event: original.event, duplicate: true });
    }
  }
  return entries;
}

function generateGroup(r: Random, kind: Kind, name: string, sameRuleNames: boolean): GroupSpec {
  const prefix = sameRuleNames ? '' : `${name}-`;
  const rules: RuleSpec[] = [{ name: `${prefix}on-created`, on: 'order.created', process: 'notify' }];
  if (r.chance(0.8)) rules.push({ name: `${prefix}on-paid`, on: 'order.paid', process: 'charge' });
  if (r.chance(0.4)) rules.push({ name: `${prefix}audit`, on: 'order.*', process: 'audit' });
  const agentCount =
    kind === 'rebalance'
      ? r.int(2, 4)
      : kind === 'chaos'
        ? r.int(1, 4)
        : kind === 'groups'
          ? r.int(1, 2)
          : r.int(1, 2);
  const agents: AgentSlot[] = [];
  for (let a = 0; a < agentCount; a++) {
    const startAt = a === 0 ? 0 : kind === 'rebalance' ? r.int(100, 2_000) : r.int(0, 1_500);
    const leaves = a > 0 && (kind === 'rebalance' || kind === 'chaos') && r.chance(0.2);
    const untilEmpty = a === 0 || !r.chance(kind === 'rebalance' ? 0.7 : kind === 'chaos' ? 0.5 : 0.3);
    agents.push({ startAt, untilEmpty, ...(leaves ? { leaveAt: startAt + r.int(200, 2_500) } : {}) });
  }
  const pool = kind === 'rebalance' ? r.chance(0.85) : r.chance(0.5);
  const leaseTtlMs = r.int(600, 2_000);
  const crashes: CrashSpec[] = [];
  const crashCount = kind === 'crash' ? r.int(1, 3) : kind === 'chaos' && r.chance(0.3) ? 1 : 0;
  for (let c = 0; c < crashCount; c++) {
    crashes.push({ slot: r.int(0, agentCount - 1), at: r.int(20, 1_500), restartAfter: r.int(0, 1_500) });
  }
  const stalls: (Window & { slot: number })[] = [];
  if (
    (kind === 'crash' || kind === 'chaos' || kind === 'rebalance') &&
    r.chance(kind === 'rebalance' ? 0.2 : 0.3)
  ) {
    stalls.push({
      slot: r.int(0, agentCount - 1),
      at: r.int(100, 2_500),
      forMs: Math.round(leaseTtlMs * (1.2 + r.next() * 2)),
    });
  }
  const windows = (chance: number, maxFor: number): Window[] =>
    r.chance(chance) ? [{ at: r.int(0, 2_500), forMs: r.int(100, maxFor) }] : [];
  return {
    name,
    rules,
    runner: pool ? { kind: 'pool', concurrency: r.int(2, 4) } : { kind: 'inline' },
    drainTimeoutMs:
      kind === 'rebalance' ? r.int(30, 300) : kind === 'chaos' && r.chance(0.5) ? r.int(30, 300) : 5_000,
    leaseTtlMs,
    heartbeatMs: r.int(100, 300),
    commitPolicy: { intervalMs: r.int(20, 500), messages: r.int(1, 50) },
    pollMax: r.int(3, 40),
    agents,
    crashes,
    stalls,
    sinkOutages: windows(
      kind === 'chaos' ? 0.5 : kind === 'duplicates' || kind === 'rebalance' ? 0.1 : 0.3,
      3_000,
    ),
    sourceOutages: windows(kind === 'chaos' ? 0.4 : 0.15, 1_500),
  };
}

/** A short description for reports. */
export function describeScenario(s: Scenario): string {
  const groups = s.groups
    .map((g) => {
      const runner = g.runner.kind === 'pool' ? `pool×${g.runner.concurrency}` : 'inline';
      const extras = [
        g.crashes.length > 0 ? `${g.crashes.length} crash` : '',
        g.stalls.length > 0 ? 'stall' : '',
        g.sinkOutages.length > 0 ? 'sink-outage' : '',
        g.sourceOutages.length > 0 ? 'source-outage' : '',
      ].filter(Boolean);
      const resident = g.agents.filter((a) => !a.untilEmpty).length;
      return `${g.name}[${g.agents.length} agent${resident > 0 ? ` (${resident} long-running)` : ''}, ${runner}, drain ${g.drainTimeoutMs}ms, rules ${g.rules.map((r) => r.name).join('/')}${extras.length ? `, ${extras.join(', ')}` : ''}]`;
    })
    .join(' ');
  const dups = s.entries.filter((e) => e.duplicate).length;
  const ids = s.groups.some((g) => g.crashes.length > 0)
    ? s.stableIds
      ? ', restarts keep their id'
      : ', restarts get a new id'
    : '';
  return `${s.entries.length} records (${dups} dup) on ${s.partitions} partitions${ids}; ${groups}`;
}
