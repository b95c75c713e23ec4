import type { PartitionStatus } from '../model/partition-status.js';
import type { AgentRecord } from '../store/records.js';
import { type PartitionStall, stallOf } from '../telemetry/stall.js';

/** A partition row of `status` as health reads it. */
type Row = PartitionStatus & {
  readonly group: string;
  readonly source: string;
  readonly agent?: string;
  readonly stall?: PartitionStall;
};
type Where = Pick<Row, 'group' | 'source' | 'partition'>;
/** An agent of `status` as health reads it. */
interface AgentSeen {
  readonly id: string;
  readonly name: string;
  readonly startedAt: number;
  readonly poisonStorm?: string;
}

/** What `status --exit-code` exits 3 for, each list empty when all is well. */
export interface StatusHealth {
  readonly ok: boolean;
  /** Partitions STALLED (`PartitionStall`). */
  readonly stalled: readonly (Where & { readonly stall: PartitionStall })[];
  /** Partitions more records behind than `maxLag` (only with `maxLag`). */
  readonly lagging: readonly (Where & { readonly lag: number })[];
  /** Agents whose poison guard tripped, and no agent of their group started since. */
  readonly poisonStorms: readonly { readonly agent: string; readonly reason: string }[];
  /** One line per problem, for people. */
  readonly problems: readonly string[];
}

/**
 * Marks the rows of live agents' partitions that are STALLED, judged at `now` with the settings and runs
 * in flight of the agent that reported the row.
 */
export function withStalls<R extends Row>(
  rows: readonly R[],
  agents: readonly AgentRecord[],
  now: number,
): R[] {
  const byId = new Map(agents.map((a) => [a.id, a]));
  return rows.map((row) => {
    const snapshot = row.agent === undefined ? undefined : byId.get(row.agent)?.snapshot;
    if (snapshot?.stall === undefined || row.progressAt === undefined) return row;
    const runs = (snapshot.runsInFlight ?? []).filter((r) => r.source === snapshot.source.id);
    const stall = stallOf(row, runs, snapshot.stall, now);
    return stall === undefined ? row : { ...row, stall };
  });
}

/** An agent's tripped poison guard counts until an agent of its group starts after it. */
function poisonStorms(agents: readonly AgentSeen[]): StatusHealth['poisonStorms'] {
  return agents
    .filter(
      (a) =>
        a.poisonStorm !== undefined &&
        !agents.some((b) => b.name === a.name && b.id !== a.id && b.startedAt > a.startedAt),
    )
    .map((a) => ({ agent: a.id, reason: a.poisonStorm! }));
}

/** What is wrong in a status report: stalled partitions, lag past `maxLag` records, tripped poison guards. */
export function healthOf(
  report: { readonly agents: readonly AgentSeen[]; readonly partitions: readonly Row[] },
  options: { readonly maxLag?: number } = {},
): StatusHealth {
  const where = (p: Row): Where => ({ group: p.group, source: p.source, partition: p.partition });
  const stalled = report.partitions
    .filter((p) => p.stall !== undefined)
    .map((p) => ({ ...where(p), stall: p.stall! }));
  const { maxLag } = options;
  const lagging =
    maxLag === undefined
      ? []
      : report.partitions
          .filter((p) => (p.lagRecords ?? 0) > maxLag)
          .map((p) => ({ ...where(p), lag: p.lagRecords! }));
  const storms = poisonStorms(report.agents);
  const problems = [
    ...stalled.map(
      (s) =>
        `${s.group} ${s.partition}: STALLED (${s.stall.reason}) at ${s.stall.position ?? 'the start'}` +
        (s.stall.run
          ? `, run ${s.stall.run.id} step ${s.stall.run.step ?? '-'} attempt ${s.stall.run.stepAttempts}`
          : ''),
    ),
    ...lagging.map(
      (l) => `${l.group} ${l.partition}: ${l.lag} records behind (more than --max-lag ${maxLag})`,
    ),
    ...storms.map((s) => `${s.agent}: poison guard tripped (${s.reason})`),
  ];
  return { ok: problems.length === 0, stalled, lagging, poisonStorms: storms, problems };
}
