import { type Clock, SLEEP_CANCELLED } from '../clock.js';
import type { Committer } from './committer.js';

/**
 * Waits for the pipeline's work (an inline runner may work through a whole poll batch), committing on
 * the policy meanwhile (every `intervalMs`, held within 10–250 ms), so that a long batch of slow steps is
 * checkpointed as it goes rather than once at its end. Rejects as `work` does.
 */
export async function whileCommitting(
  work: Promise<void>,
  committer: Committer,
  clock: Clock,
  intervalMs: number,
): Promise<void> {
  let settled = false;
  const done = work.then(
    () => {
      settled = true;
    },
    (error: unknown) => {
      settled = true;
      throw error;
    },
  );
  const every = Math.max(10, Math.min(250, intervalMs));
  while (!settled) {
    const timer = new AbortController();
    await Promise.race([done, clock.sleep(every, timer.signal).catch(() => undefined)]);
    timer.abort(SLEEP_CANCELLED);
    if (!settled) await committer.commit(false);
  }
  await done;
}
