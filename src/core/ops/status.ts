import type { AgentConfig } from '../config/agent-config.js';
import type { Effort } from '../model/effort.js';
import type { RunRecord } from '../model/run-record.js';
import type { SinkStatus, StatusSnapshot } from '../model/status-snapshot.js';
import { redactSecrets } from '../redact.js';
import type { PartitionStatus } from '../sources/source.js';
import type { AgentRecord, Checkpoint } from '../store/records.js';
import type { RunCount, StateStore } from '../store/state-store.js';
import type { PartitionStall } from '../telemetry/stall.js';
import type { Partition } from '../types.js';
import { openOpsSource, opsTarget } from './operator-source.js';
import { isAlive, type LiveOwner, liveOwners, ownedState } from './partition-owners.js';
import { healthOf, type StatusHealth, withStalls } from './status-health.js';

/** An agent as `status` shows it: its record plus whether it is alive. */
export interface AgentStatus {
  readonly id: string;
  readonly name: string;
  readonly host: string;
  readonly pid: number;
  readonly state: string;
  /** Since when it is in `state`: as it reported, or its last heartbeat once it stopped answering. */
  readonly stateSince?: number;
  readonly alive: boolean;
  readonly startedAt: number;
  /** How long it ran: until now while alive, until its last heartbeat once it is not. */
  readonly upMs: number;
  readonly heartbeatAt: number;
  readonly source: string;
  readonly perSecond: number;
  readonly inFlight: number;
  readonly counters?: StatusSnapshot['counters'];
  readonly lastError?: string;
  /** Why its poison guard tripped, once it did. */
  readonly poisonStorm?: string;
}

/** A partition row: where it stands and who reads it. */
export interface PartitionRow extends PartitionStatus {
  readonly group: string;
  readonly source: string;
  /** The agent whose snapshot this row comes from (absent when only the checkpoint is known). */
  readonly agent?: string;
  /** Set when the partition is STALLED: since when, where, and the run and step it waits on. */
  readonly stall?: PartitionStall;
}

/**
 * One snapshot of what the console shows: agents and their state, partitions with committed/latest/lag,
 * runs by state, recent efforts, the failed store. Read from the state store only, so it works against
 * a store on another host's agents (fleet mode) as well as the local one.
 */
export interface StatusReport {
  readonly store: { readonly kind: string; readonly location: string };
  readonly takenAt: number;
  readonly agents: readonly AgentStatus[];
  readonly partitions: readonly PartitionRow[];
  readonly runs: { readonly byProcess: readonly RunCount[]; readonly active: readonly RunRecord[] };
  readonly efforts: readonly Effort[];
  readonly sinks: readonly (SinkStatus & { readonly agent: string })[];
  readonly failed: { readonly pending: number; readonly byReason: Readonly<Record<string, number>> };
  /** Stalled partitions, lag past `maxLag`, tripped poison guards: what `status --exit-code` exits 3 for. */
  readonly health: StatusHealth;
}

export interface StatusOptions {
  /** Only this agent group (default: all). */
  readonly group?: string;
  /** An agent is alive when it heartbeated within this (default 15 s). */
  readonly aliveWithinMs?: number;
  /** Rows of recent runs and efforts (default 10). */
  readonly limit?: number;
  /** Partitions more records behind than this are a problem in `health`. */
  readonly maxLag?: number;
  readonly now?: number;
  /**
   * Where the source stands, asked directly (e.g. the embedded log, cheap to read): fills latest and lag
   * in rows that no live agent reports, for the source with this id.
   */
  readonly source?: { readonly id: string; describe(): Promise<readonly PartitionStatus[]> };
}

const STOPPED = new Set(['SHUTDOWN', 'ERROR']);

export { isAlive };

/** An agent record as `status` shows it, judged alive against `now`. */
export function agentStatus(a: AgentRecord, now: number, within: number): AgentStatus {
  const alive = isAlive(a, now, within);
  return {
    id: a.id,
    name: a.name,
    host: a.host,
    pid: a.pid,
    state: alive || STOPPED.has(a.state) ? a.state : 'OFFLINE',
    ...stateSince(a, alive),
    alive,
    startedAt: a.startedAt,
    upMs: Math.max(0, (alive ? now : a.heartbeatAt) - a.startedAt),
    heartbeatAt: a.heartbeatAt,
    source: a.snapshot?.source.uri ?? a.source,
    perSecond: alive ? (a.snapshot?.throughput.perSecond ?? 0) : 0,
    inFlight: a.snapshot?.inFlight ?? 0,
    ...(a.snapshot ? { counters: a.snapshot.counters } : {}),
    ...(a.snapshot?.lastError ? { lastError: a.snapshot.lastError } : {}),
    ...(a.snapshot?.poisonStorm ? { poisonStorm: a.snapshot.poisonStorm } : {}),
  };
}

function stateSince(a: AgentRecord, alive: boolean): { stateSince?: number } {
  if (!alive && !STOPPED.has(a.state)) return { stateSince: a.heartbeatAt };
  const since = a.snapshot?.state === a.state ? a.snapshot.stateSince : undefined;
  return since === undefined ? {} : { stateSince: since };
}

/**
 * The status `agentctl status` shows: of `group` (every group without one), read from the store, with the
 * embedded log asked directly when it is the group's source — it is cheap to describe, so its latest
 * positions and lag show even while no agent runs.
 */
export async function statusOf(
  store: StateStore,
  config: AgentConfig,
  options: Pick<StatusOptions, 'group' | 'limit' | 'maxLag'> = {},
): Promise<StatusReport> {
  const { group, limit, maxLag } = options;
  let source: StatusOptions['source'];
  if (group !== undefined) {
    const target = opsTarget(config, { group });
    if (target.uri.startsWith('local:')) source = await openOpsSource(store, target);
  }
  return collectStatus(store, {
    ...(group === undefined ? {} : { group }),
    ...(limit === undefined ? {} : { limit }),
    ...(maxLag === undefined ? {} : { maxLag }),
    ...(source === undefined ? {} : { source }),
  });
}

/** Gathers a status report from the store. */
export async function collectStatus(store: StateStore, options: StatusOptions = {}): Promise<StatusReport> {
  const now = options.now ?? Date.now();
  const within = options.aliveWithinMs ?? 15_000;
  const limit = options.limit ?? 10;
  const group = options.group;
  const records = await store.agents.list(group === undefined ? {} : { group });
  const agents = records.map((a) => agentStatus(a, now, within));
  const partitions = withStalls(
    await withSourceView(await partitionRows(store, records, now, within, group), options.source),
    records.filter((a) => isAlive(a, now, within)),
    now,
  );
  const [byProcess, running, failedRuns, efforts, pending, byReason] = await Promise.all([
    store.runs.countByState(group),
    store.runs.list({ ...(group ? { group } : {}), state: 'running', limit }),
    store.runs.list({ ...(group ? { group } : {}), state: 'failed', limit }),
    store.efforts.list({ limit }),
    store.failed.count(group === undefined ? {} : { group }),
    store.failed.countByReason(group),
  ]);
  const sinks = records
    .filter((a) => isAlive(a, now, within))
    .flatMap((a) => (a.snapshot?.sinks ?? []).map((s) => ({ ...s, agent: a.id })));
  return {
    store: { kind: store.kind, location: store.location },
    takenAt: now,
    agents,
    partitions,
    runs: {
      byProcess,
      active: [...running, ...failedRuns]
        .slice(0, limit)
        .map((r) => (r.error === undefined ? r : { ...r, error: redactSecrets(r.error) })),
    },
    efforts: efforts.map((e) =>
      e.lastError === undefined ? e : { ...e, lastError: redactSecrets(e.lastError) },
    ),
    sinks,
    failed: { pending, byReason },
    health: healthOf({ agents, partitions }, options.maxLag === undefined ? {} : { maxLag: options.maxLag }),
  };
}

/** Rows known only from checkpoints get the source's latest position and lag. */
async function withSourceView(
  rows: PartitionRow[],
  source: StatusOptions['source'],
): Promise<PartitionRow[]> {
  if (source === undefined) return rows;
  const view = new Map((await source.describe().catch(() => [])).map((p) => [p.partition, p]));
  return rows.map((row) => {
    const seen = view.get(row.partition);
    if (row.agent !== undefined || seen === undefined || row.source !== source.id) return row;
    return {
      ...row,
      ...(seen.latest === undefined ? {} : { latest: seen.latest }),
      ...(seen.lagRecords === undefined ? {} : { lagRecords: seen.lagRecords }),
      ...(seen.lagMs === undefined ? {} : { lagMs: seen.lagMs }),
      ...(seen.depth === undefined ? {} : { depth: seen.depth }),
    };
  });
}

/**
 * Live agents' snapshots first; checkpoints fill in partitions no live agent reports. Who owns each
 * partition is `liveOwners`' answer (the one `checkpoint list` gives), not what a snapshot last said.
 */
export async function partitionRows(
  store: StateStore,
  agents: readonly AgentRecord[],
  now: number,
  within: number,
  group: string | undefined,
): Promise<PartitionRow[]> {
  const owners = ownersOf(store, agents, now, within);
  const rows = new Map<string, PartitionRow>();
  const key = (g: string, source: string, partition: string) => `${g}\u0000${source}\u0000${partition}`;
  for (const agent of agents.filter((a) => isAlive(a, now, within))) {
    const source = agent.snapshot?.source;
    if (source === undefined) continue;
    const owned = await owners(agent.group, source.id);
    for (const p of agent.snapshot!.partitions) {
      const k = key(agent.group, source.id, p.partition);
      const existing = rows.get(k);
      // Several agents report every partition of a shared source; keep the owner's row.
      if (existing !== undefined && existing.agent === owned.get(p.partition)?.agent) continue;
      rows.set(k, withOwner({ ...p, group: agent.group, source: source.uri, agent: agent.id }, owned));
    }
  }
  const checkpoints: Checkpoint[] = await store.checkpoints.list(group === undefined ? {} : { group });
  for (const c of checkpoints) {
    const reported = [...rows.values()].some(
      (r) =>
        r.group === c.group &&
        r.partition === c.partition &&
        (r.source === c.source || rows.has(key(c.group, c.source, c.partition))),
    );
    if (reported) continue;
    const row: PartitionRow = {
      group: c.group,
      source: c.source,
      partition: c.partition,
      state: 'unassigned',
      committed: c.position,
    };
    rows.set(key(c.group, c.source, c.partition), withOwner(row, await owners(c.group, c.source)));
  }
  return [...rows.values()].sort((a, b) =>
    a.group === b.group
      ? a.source === b.source
        ? a.partition.localeCompare(b.partition, 'en', { numeric: true })
        : a.source < b.source
          ? -1
          : 1
      : a.group < b.group
        ? -1
        : 1,
  );
}

/** `liveOwners` per group and source, each asked once. */
function ownersOf(
  store: StateStore,
  agents: readonly AgentRecord[],
  now: number,
  within: number,
): (group: string, sourceId: string) => Promise<Map<Partition, LiveOwner>> {
  const asked = new Map<string, Promise<Map<Partition, LiveOwner>>>();
  return (group, sourceId) => {
    const k = `${group}\u0000${sourceId}`;
    let owners = asked.get(k);
    if (owners === undefined) {
      owners = liveOwners(store, group, sourceId, { now, aliveWithinMs: within, agents });
      asked.set(k, owners);
    }
    return owners;
  };
}

function withOwner(row: PartitionRow, owners: ReadonlyMap<Partition, LiveOwner>): PartitionRow {
  const { owner: _reported, ...rest } = row;
  const owner = owners.get(row.partition);
  return owner === undefined ? rest : { ...rest, owner: owner.agent, state: ownedState(row.state, owner) };
}
