import { hostname } from 'node:os';

/** The host and process an agent id names, when it has the default form `NAME@HOST#PID`. */
export function ownerProcess(owner: string): { readonly host: string; readonly pid: number } | undefined {
  const match = /@([^@#]+)#(\d+)$/.exec(owner);
  if (match === null) return undefined;
  const pid = Number(match[2]);
  return Number.isSafeInteger(pid) && pid > 0 ? { host: match[1]!, pid } : undefined;
}

/** Whether a process with this pid exists on this host (EPERM: it exists, it is someone else's). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * True only when the owner provably is not running: its id names this host and a pid that no process
 * has. Anything else (another host, an id of another form, a pid reused by another process) is not
 * proof, and its lease must expire.
 */
export function ownerProvablyDead(
  owner: string,
  here: string = hostname(),
  exists: (pid: number) => boolean = processExists,
): boolean {
  const named = ownerProcess(owner);
  if (named === undefined || named.host !== here || named.pid === process.pid) return false;
  return !exists(named.pid);
}
