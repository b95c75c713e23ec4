/**
 * When the processor commits: after `intervalMs` since the last commit or after `messages` messages were
 * done since it, whichever comes first. Drain, revocation and shutdown always commit regardless.
 */
export interface CommitPolicy {
  readonly intervalMs: number;
  readonly messages: number;
}

export const DEFAULT_COMMIT_POLICY: CommitPolicy = { intervalMs: 1_000, messages: 1_000 };

/** Decides, from elapsed time and done messages since the last commit, whether a commit is due. */
export function commitDue(policy: CommitPolicy, elapsedMs: number, doneSince: number): boolean {
  if (doneSince <= 0) return false;
  return elapsedMs >= policy.intervalMs || doneSince >= policy.messages;
}

/**
 * A source that stops delivering after `inFlightLimit` uncommitted messages is committed at a quarter of
 * that, so that deliveries keep flowing while a commit is written.
 */
export function capForSource(policy: CommitPolicy, inFlightLimit: number | undefined): CommitPolicy {
  if (inFlightLimit === undefined) return policy;
  return { ...policy, messages: Math.max(1, Math.min(policy.messages, Math.ceil(inFlightLimit / 4))) };
}
