import { chmodSync, closeSync, fchmodSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * What agentctl creates to hold events, payloads, results or a transpiled config is its owner's alone,
 * whatever the umask: directories 0700, files 0600. Existing files and directories keep the mode their
 * owner gave them (SQLite gives a store's `-wal` and `-shm` the mode of the store file).
 */
export const PRIVATE_DIRECTORY_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Creates `directory` and its missing parents, each 0700; directories that exist are left as they are. */
export function makePrivateDirectory(directory: string): void {
  const first = mkdirSync(directory, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
  if (first === undefined) return;
  // mkdir applies the umask; a umask that takes the owner's bits too must not leave them unusable.
  for (let created = directory; ; created = dirname(created)) {
    chmodSync(created, PRIVATE_DIRECTORY_MODE);
    if (created === first || dirname(created) === created) break;
  }
}

/**
 * Creates `path` empty with mode 0600 unless it exists (then it is left as it is).
 * @returns whether it was created.
 */
export function createPrivateFile(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', PRIVATE_FILE_MODE);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    fchmodSync(fd, PRIVATE_FILE_MODE);
  } finally {
    closeSync(fd);
  }
  return true;
}
