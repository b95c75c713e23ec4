import { hash } from 'node:crypto';

/**
 * The id of the run a rule starts for an event: a digest of (event source, event id, rule). The same
 * event redelivered or replayed gets the same run id, which is how a run that already succeeded is
 * recognised and skipped (idempotent effects).
 */
export function runIdOf(eventSource: string, eventId: string, rule: string): string {
  return `run_${hash('sha1', `${eventSource}\n${eventId}\n${rule}`, 'base64url')}`;
}
