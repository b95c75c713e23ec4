import { hostname, userInfo } from 'node:os';
import type { FailedMessage, FailureAttempt } from '../../store/records.js';
import type { Bytes } from '../../types.js';

/** The `via` of a history entry that records an edit (not a failure). */
export const EDIT_VIA = 'edit';

/** The edits of an item (history entries `via: 'edit'`), oldest first. */
export function editsOf(item: Pick<FailedMessage, 'history'>): FailureAttempt[] {
  return item.history.filter((entry) => entry.via === EDIT_VIA);
}

/**
 * The item's bytes as they were parked, before any edit: what its first edit replaced, else its bytes
 * (an item never edited is its own original).
 */
export function originalBytes(item: Pick<FailedMessage, 'history' | 'raw'>): Bytes {
  const first = editsOf(item).find((entry) => entry.previousBase64 !== undefined);
  return first === undefined ? item.raw : Buffer.from(first.previousBase64!, 'base64');
}

/** Who edits, as history records it: `user@host` (the user from the OS, else $USER, else `unknown`). */
export function editorIdentity(): string {
  let user: string | undefined;
  try {
    user = userInfo().username;
  } catch {
    user = process.env.USER;
  }
  return `${user || 'unknown'}@${hostname()}`;
}
