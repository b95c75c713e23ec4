import { hash } from 'node:crypto';

/** The parts of an event that identify it: its CloudEvents source and id (ids are unique per source). */
export interface EventIdentity {
  readonly source?: unknown;
  readonly id?: unknown;
}

/**
 * The digest of (event source, event id, rule): what run ids of store schema 1 ended with, after a
 * 9-character time prefix. Kept apart so that the schema-2 migration can derive new ids from old ones.
 */
export function eventRuleDigest(event: EventIdentity, rule: string): string {
  return hash('sha1', `${String(event.source ?? '')}\n${String(event.id)}\n${rule}`, 'base64url');
}

/** The run id of a group given the digest of (event source, event id, rule) — see `runIdOf`. */
export function runIdOfDigest(group: string, digest: string): string {
  return hash('sha256', `${group}\n${digest}`, 'base64url').slice(0, RUN_ID_LENGTH);
}

/** Run ids are 27 base64url characters (162 bits of a SHA-256). */
export const RUN_ID_LENGTH = 27;

/**
 * The id of the run that `rule` starts for `event` in consumer `group`: a digest of (group, event source,
 * event id, rule) and of nothing else. The same event redelivered, re-sent by a producer (with another
 * `time` or another payload) or replayed gets the same id in the same group — which is how a run that
 * succeeded or is running now is recognised and skipped (idempotent effects) — while another group sharing
 * the store gets ids of its own and runs its own processes.
 */
export function runIdOf(group: string, event: EventIdentity, rule: string): string {
  return runIdOfDigest(group, eventRuleDigest(event, rule));
}

/** Length of a schema-1 run id: a 9-character time prefix and a 27-character SHA-1 digest. */
const LEGACY_ID_LENGTH = 36;

/** The (event source, event id, rule) digest inside a schema-1 run id; another id is taken whole. */
export function legacyDigest(id: string): string {
  return id.length === LEGACY_ID_LENGTH ? id.slice(LEGACY_ID_LENGTH - 27) : id;
}
