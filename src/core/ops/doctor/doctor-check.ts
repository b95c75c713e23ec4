/** One thing `agentctl doctor` checks: what, whether it holds, what was found, and what to do if not. */
export interface DoctorCheck {
  /** What is checked ("store opens", "source reachable", …). */
  readonly name: string;
  readonly ok: boolean;
  /** What was found (credentials redacted). */
  readonly detail: string;
  /** What to do about a failed check. */
  readonly fix?: string;
}

/** How long one reachability check may take before it counts as failed. */
export const CHECK_TIMEOUT_MS = 5_000;

/**
 * `work` bounded by `ms`: a broker or endpoint that never answers fails the check instead of hanging
 * doctor. `cleanup` runs on the late result, whatever it is (a connection that opened after all).
 */
export async function withDeadline<T>(
  work: Promise<T>,
  ms: number,
  what: string,
  cleanup?: (late: T) => void,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      void work.then(cleanup, () => undefined);
      reject(new Error(`${what}: no answer within ${ms / 1000} s`));
    }, ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** The message of anything thrown, with its system error code when the message lacks it (ECONNREFUSED, …). */
export function reasonOf(error: unknown): string {
  const e = error as { message?: string; code?: unknown; name?: string };
  const message = e?.message || e?.name || String(error);
  const code = typeof e?.code === 'string' && /^E[A-Z]+$/.test(e.code) ? e.code : undefined;
  return code !== undefined && !message.includes(code) ? `${message} (${code})` : message;
}
