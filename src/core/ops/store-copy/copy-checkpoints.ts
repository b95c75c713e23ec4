import type { CheckpointWrite } from '../../store/records.js';
import type { StateStore } from '../../store/state-store.js';
import type { Tally } from './copy-kinds.js';

/**
 * Copies checkpoints where the target has none (with their writer as owner), so that agents moved to
 * the target resume where they stopped. A checkpoint the target has at another position is live state
 * of the target: kept, and reported in `conflicts`.
 */
export async function copyCheckpoints(
  from: StateStore,
  to: StateStore,
  tally: Tally,
  conflicts: string[],
): Promise<void> {
  const key = (c: { group: string; source: string; partition: string }) =>
    JSON.stringify([c.group, c.source, c.partition]);
  const existing = new Map((await to.checkpoints.list()).map((c) => [key(c), c]));
  const writes: CheckpointWrite[] = [];
  let skipped = 0;
  for (const checkpoint of await from.checkpoints.list()) {
    const theirs = existing.get(key(checkpoint));
    if (theirs === undefined) {
      const { updatedAt: _, ...write } = checkpoint;
      writes.push(write);
      continue;
    }
    skipped++;
    if (theirs.position !== checkpoint.position) {
      conflicts.push(
        `checkpoint ${checkpoint.group}/${checkpoint.source}/${checkpoint.partition}: kept ${theirs.position} (the source has ${checkpoint.position})`,
      );
    }
  }
  if (writes.length > 0) await to.checkpoints.set(writes);
  tally('checkpoints', writes.length, skipped);
}
