import type { PartitionStatus } from '../model/partition-status.js';
import type { PartitionStall, RunInFlight, StallSettings } from '../model/stall.js';

export type { PartitionStall, RunInFlight, StallSettings } from '../model/stall.js';

/** A partition is STALLED after its checkpoint has not moved for this long with work waiting (60 s). */
export const DEFAULT_STALL_AFTER_MS = 60_000;

/** The settings of an agent configured with these keys (each optional). */
export function stallSettings(options: { readonly stallAfterMs?: number; readonly stuckStepMs?: number }) {
  const stallAfterMs = options.stallAfterMs ?? DEFAULT_STALL_AFTER_MS;
  return { stallAfterMs, stuckStepMs: options.stuckStepMs ?? stallAfterMs } satisfies StallSettings;
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
