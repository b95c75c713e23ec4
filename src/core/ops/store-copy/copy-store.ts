import type { StateStore } from '../../store/state-store.js';
import { copyAgents, copyControl } from './copy-agents.js';
import { copyCheckpoints } from './copy-checkpoints.js';
import { copyFailed } from './copy-failed.js';
import { COPY_KINDS, type CopyCount, type CopyKind } from './copy-kinds.js';
import { copyLog } from './copy-log.js';
import { copyEfforts, copyRuns } from './copy-runs.js';

export interface CopyReport {
  readonly counts: Readonly<Record<CopyKind, CopyCount>>;
  /** Items present in both stores with different content, left as the target has them. */
  readonly conflicts: readonly string[];
}

export interface CopyProgress extends CopyCount {
  readonly kind: CopyKind;
}

/**
 * Copies one state store into another through the `StateStore` port only (any adapter to any adapter:
 * typically an embedded SQLite store into the shared PostgreSQL one). Safe to run again: what the target
 * already holds is recognised (topics and log offsets, failed-message keys, run and effort ids, agent ids,
 * control requests by agent, kind and arguments, checkpoint keys) and skipped, so a second run, or a run
 * after an interrupted one, copies only what is missing and never duplicates. Stop the agents writing to
 * the source first: what they write during the copy may be missed.
 *
 * - Log: topics with their partition counts, then each partition's records in offset order, with their
 *   keys and timestamps; offsets come out equal (the target appends from where its partition ends and
 *   the copy checks each offset), so checkpoints of `local:` sources stay valid. A target partition whose
 *   records differ from the source's is a `UsageError` (nothing more of it is written).
 * - Failed messages: every status, with their history, attempts and first/last failure times; a
 *   copy gets a new id, and a `replayed` item's `replayedAt` is the time of the copy.
 * - Runs: full rows and ledger entries each in their own form (`runs.iterate`); efforts whole.
 * - Agents: as records of what ran. The port stamps a heartbeat with the target's clock, so an agent
 *   that was not stopped is recorded `SHUTDOWN`: otherwise it would look alive and lease balancing and
 *   `drain` would count it until its heartbeat aged.
 * - Control requests: kind, arguments, status and result (times are those of the copy).
 * - Checkpoints: copied where the target has none (with their writer as owner), so agents moved to the
 *   target resume where they stopped. A checkpoint the target already has at another position is live
 *   state of the target: kept, and reported in `conflicts`.
 * - Leases are not copied: they are live ownership with an expiry on the source's clock; agents on the
 *   target acquire their own.
 */
export async function copyStore(
  from: StateStore,
  to: StateStore,
  onProgress?: (progress: CopyProgress) => void,
): Promise<CopyReport> {
  const counts = Object.fromEntries(COPY_KINDS.map((kind) => [kind, { copied: 0, skipped: 0 }])) as Record<
    CopyKind,
    { copied: number; skipped: number }
  >;
  const conflicts: string[] = [];
  const tally = (kind: CopyKind, copied: number, skipped: number) => {
    counts[kind].copied += copied;
    counts[kind].skipped += skipped;
    onProgress?.({ kind, ...counts[kind] });
  };
  await copyLog(from, to, tally);
  await copyFailed(from, to, tally);
  await copyRuns(from, to, 'full', tally);
  await copyRuns(from, to, 'ledger', tally);
  await copyEfforts(from, to, tally);
  await copyAgents(from, to, tally);
  await copyControl(from, to, tally);
  await copyCheckpoints(from, to, tally, conflicts);
  return { counts, conflicts };
}
