import type { PartitionStatus } from '../model/partition-status.js';
import type { Position } from '../types.js';

/** A partition is STALLED after its checkpoint has not moved for this long with work waiting (60 s). */
export const DEFAULT_STALL_AFTER_MS = 60_000;

/** When an agent calls a partition stalled, and a step stuck (carried in its status snapshot). */
export interface StallSettings {
  /** The checkpoint has not moved for this long while the partition is behind (`consumer.stallAfterMs`). */
  readonly stallAfterMs: number;
  /** A step without a timeout of its own is stuck after running this long (`consumer.stuckStepMs`). */
  readonly stuckStepMs: number;
}

/** The settings of an agent configured with these keys (each optional). */
export function stallSettings(options: { readonly stallAfterMs?: number; readonly stuckStepMs?: number }) {
  const stallAfterMs = options.stallAfterMs ?? DEFAULT_STALL_AFTER_MS;
  return { stallAfterMs, stuckStepMs: options.stuckStepMs ?? stallAfterMs } satisfies StallSettings;
}

/** A process run executing now in an agent, as its status snapshot shows it. */
export interface RunInFlight {
  readonly id: string;
  readonly process: string;
  readonly rule: string;
  /** The step executing now. */
  readonly step?: string;
  /** Attempts of that step so far (1 on its first try). */
  readonly stepAttempts: number;
  /** Step attempts of the whole run so far. */
  readonly attempts: number;
  readonly startedAt: number;
  /** When the step executing now started its current attempt. */
  readonly stepSince?: number;
  /** The step's own timeout, if it has one. */
  readonly stepTimeoutMs?: number;
  /** Where the run's event was read: the source id, partition and position. */
  readonly source?: string;
  readonly partition?: string;
  readonly position?: Position;
}

/**
 * Why a partition is STALLED: `no-progress` — its owner is alive, it is behind, and its checkpoint has
 * not moved for `stallAfterMs`; `stuck-step` — a run of one of its events has a step running past its
 * timeout (or `stuckStepMs`), which holds the checkpoint back as long as it runs.
 */
export interface PartitionStall {
  readonly reason: 'no-progress' | 'stuck-step';
  /** Since when the checkpoint has not moved (or since when the step runs, for `stuck-step`). */
  readonly since: number;
  readonly forMs: number;
  /** The checkpoint it is stuck at. */
  readonly position?: Position;
  /** The first position read and not done: the message that holds it back. */
  readonly waitingOn?: Position;
  /** The oldest run in flight of the partition, with its step and attempts. */
  readonly run?: RunInFlight;
}

/** The partition has work to do: records behind, messages waiting in its queue, or messages in flight. */
export function isBehind(p: PartitionStatus): boolean {
  if ((p.lagRecords ?? 0) > 0 || (p.lagMs ?? 0) > 0 || p.oldestPending !== undefined) return true;
  return p.depth !== undefined && p.depth.ready + p.depth.unacked > 0;
}

/** How long the checkpoint has not moved while work waited; undefined when the reader does not track it. */
export function checkpointAgeMs(p: PartitionStatus, now: number): number | undefined {
  return p.progressAt === undefined ? undefined : Math.max(0, now - p.progressAt);
}

/** How long the run's step has run, and since when; undefined when it is not past its limit. */
function stuckStep(run: RunInFlight, settings: StallSettings, now: number): number | undefined {
  if (run.stepSince === undefined) return undefined;
  const limit = run.stepTimeoutMs ?? settings.stuckStepMs;
  return now - run.stepSince > limit ? run.stepSince : undefined;
}

/**
 * Whether a partition read by a live owner is STALLED (see `PartitionStall`), judged at `now` from the
 * partition's status as the owner reported it and the owner's runs in flight.
 */
export function stallOf(
  p: PartitionStatus,
  runs: readonly RunInFlight[],
  settings: StallSettings,
  now: number,
): PartitionStall | undefined {
  const own = runs.filter((r) => r.partition === p.partition).sort((a, b) => a.startedAt - b.startedAt);
  const stuck = own.find((r) => stuckStep(r, settings, now) !== undefined);
  const age = checkpointAgeMs(p, now);
  const stalled = age !== undefined && age >= settings.stallAfterMs && isBehind(p);
  if (!stalled && stuck === undefined) return undefined;
  const since = stalled ? p.progressAt! : stuck!.stepSince!;
  const run = stuck ?? own[0];
  return {
    reason: stalled ? 'no-progress' : 'stuck-step',
    since,
    forMs: Math.max(0, now - since),
    ...(p.committed === undefined ? {} : { position: p.committed }),
    ...(p.oldestPending === undefined ? {} : { waitingOn: p.oldestPending }),
    ...(run === undefined ? {} : { run }),
  };
}
