/**
 * Environment variables renamed to follow AGENTCTL_<FLAG>, by command id ('*': every command). The old
 * names work for one more release (until 0.3.0) with a warning naming the new one.
 */
const RENAMED: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  publish: { AGENTCTL_EVENT_ID: 'AGENTCTL_ID' },
  replay: {
    AGENTCTL_REPLAY_FAILED: 'AGENTCTL_FAILED',
    AGENTCTL_REPLAY_FROM: 'AGENTCTL_FROM',
    AGENTCTL_REPLAY_TO: 'AGENTCTL_TO',
  },
  drain: { AGENTCTL_AGENT_ID: 'AGENTCTL_AGENT' },
  worker: {
    AGENTCTL_WORKER_CONCURRENCY: 'AGENTCTL_CONCURRENCY',
    AGENTCTL_AMQP_URL: 'AGENTCTL_URL',
    AGENTCTL_WORKER_OUTBOX: 'AGENTCTL_OUTBOX',
  },
  'store:copy': { AGENTCTL_COPY_FROM: 'AGENTCTL_FROM', AGENTCTL_COPY_TO: 'AGENTCTL_TO' },
};

/**
 * Moves the values of renamed variables the command `id` reads to their new names (a new name already
 * set wins), warning through `warn` for each. `AGENTCTL_CONTENT_TYPE=json` becomes `AGENTCTL_JSON=true`.
 */
export function applyDeprecatedEnv(
  id: string | undefined,
  warn: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): void {
  const renamed: Record<string, string> = { ...(id === undefined ? {} : RENAMED[id]) };
  for (const [old, current] of Object.entries(renamed)) {
    const value = env[old];
    if (value === undefined) continue;
    if (env[current] === undefined) {
      env[current] = value;
      warn(`warning: ${old} is deprecated and goes in 0.3.0: use ${current}`);
    } else {
      warn(`warning: ${old} is deprecated and ignored: ${current} is set (use only ${current})`);
    }
  }
  const contentType = env.AGENTCTL_CONTENT_TYPE;
  if (contentType !== undefined) {
    if (contentType.toLowerCase() === 'json' && env.AGENTCTL_JSON === undefined) env.AGENTCTL_JSON = 'true';
    warn('warning: AGENTCTL_CONTENT_TYPE is deprecated and goes in 0.3.0: use AGENTCTL_JSON=true');
  }
}
