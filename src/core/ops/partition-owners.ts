import type { PartitionState } from '../sources/source.js';
import type { ProcessingStateName } from '../state/processing-state.js';
import type { AgentRecord } from '../store/records.js';
import type { StateStore } from '../store/state-store.js';
import type { Partition } from '../types.js';

/** Agent states in which an agent no longer reads, whatever its lease or last snapshot says. */
const STOPPED: ReadonlySet<string> = new Set<ProcessingStateName>(['SHUTDOWN', 'ERROR']);

/** An agent with no lease to judge it by is alive when it heartbeated within this (ms) by default. */
export const ALIVE_WITHIN_MS = 15_000;

/** Whether an agent runs: it heartbeated within `within` ms of `now` and is not SHUTDOWN or ERROR. */
export function isAlive(agent: AgentRecord, now: number, within: number): boolean {
  return !STOPPED.has(agent.state) && now - agent.heartbeatAt <= within;
}

/** A running agent that reads a partition. */
export interface LiveOwner {
  readonly partition: Partition;
  readonly agent: string;
  readonly state: ProcessingStateName;
  readonly heartbeatAt: number;
  /** How the agent reads the partition, as of its last status snapshot. */
  readonly partitionState?: PartitionState;
}

export interface LiveOwnersOptions {
  readonly now: number;
  /** An agent that holds no lease (the broker hands it messages) is alive within this (default 15 s). */
  readonly aliveWithinMs?: number;
  /** The store's agents, when the caller has read them already (a live agent's fresh record, say). */
  readonly agents?: readonly AgentRecord[];
}

/**
 * Who reads each partition of a group on a source now: the one answer that `status`, the console and
 * `checkpoint list/set/reset` give.
 * - A partition that agents split through leases (local log, file, Kinesis, AMQP stream) is owned by
 *   the holder of its unexpired lease while that agent really runs: it heartbeated within the lease's
 *   time to live and is not SHUTDOWN or ERROR. A crashed agent's partitions stop counting once its
 *   heartbeat is older than that.
 * - A partition the broker hands out (an AMQP queue) has no lease: it is read by every running agent
 *   (alive within `aliveWithinMs`) whose last snapshot reports it assigned to itself; the first of them
 *   by id is named. Agents that predate `coordination` in their snapshot count for partitions that
 *   have no lease at all.
 */
export async function liveOwners(
  store: StateStore,
  group: string,
  sourceId: string,
  options: LiveOwnersOptions,
): Promise<Map<Partition, LiveOwner>> {
  const { now } = options;
  const records = options.agents ?? (await store.agents.list({ group }));
  const agents = new Map(records.map((a) => [a.id, a]));
  const owners = new Map<Partition, LiveOwner>();
  const leased = new Set<Partition>();
  for (const lease of await store.leases.list(group, sourceId)) {
    leased.add(lease.partition);
    if (lease.owner === '' || lease.expiresAt <= now) continue;
    const agent = agents.get(lease.owner) ?? (await store.agents.get(lease.owner));
    if (agent === undefined || !isAlive(agent, now, lease.expiresAt - lease.renewedAt)) continue;
    owners.set(lease.partition, ownerOf(agent, lease.partition));
  }
  const within = options.aliveWithinMs ?? ALIVE_WITHIN_MS;
  const readers = [...agents.values()]
    .filter((a) => a.group === group && a.snapshot?.source.id === sourceId && isAlive(a, now, within))
    .sort((a, b) => a.id.localeCompare(b.id));
  for (const agent of readers) {
    const coordination = agent.snapshot!.source.coordination;
    for (const p of agent.snapshot!.partitions) {
      const byBroker = coordination === 'broker' || (coordination === undefined && !leased.has(p.partition));
      if (!byBroker || owners.has(p.partition) || p.owner !== agent.id || p.state === 'unassigned') continue;
      owners.set(p.partition, ownerOf(agent, p.partition));
    }
  }
  return owners;
}

/**
 * A partition's state given its owner: `ended` stays, else what the owner last reported, else `reading`
 * (an owned partition is never `unassigned`, whoever described it).
 */
export function ownedState(state: PartitionState | undefined, owner: LiveOwner): PartitionState {
  if (state === 'ended') return 'ended';
  const reported = owner.partitionState;
  return reported === undefined || reported === 'unassigned' ? 'reading' : reported;
}

function ownerOf(agent: AgentRecord, partition: Partition): LiveOwner {
  const reported = agent.snapshot?.partitions.find((p) => p.partition === partition)?.state;
  return {
    partition,
    agent: agent.id,
    state: agent.state,
    heartbeatAt: agent.heartbeatAt,
    ...(reported === undefined ? {} : { partitionState: reported }),
  };
}
