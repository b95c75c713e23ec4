import { hostname, userInfo } from 'node:os';

/**
 * Who the checkpoint history records as having moved a checkpoint: `AGENTCTL_ACTOR` when set (a CI job,
 * a runbook bot), else the OS user and host (`alice@ops-1`).
 */
export function operatorActor(env: NodeJS.ProcessEnv = process.env): string {
  const given = env.AGENTCTL_ACTOR?.trim();
  if (given) return given;
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    user = env.USER ?? env.USERNAME ?? 'unknown';
  }
  return `${user}@${hostname()}`;
}
