import { UsageError } from './errors/usage-error.js';

/**
 * Parses a time argument (`--since`, `--older-than`): an ISO date/time, or a duration before `now` such
 * as `90s`, `15m`, `2h`, `7d`.
 * @throws UsageError for anything else.
 */
export function parseTimeArgument(text: string, now: number): number {
  const ago = /^(\d+)(ms|s|m|h|d)$/.exec(text.trim());
  if (ago !== null) {
    const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[ago[2] as 'ms'];
    return now - Number(ago[1]) * unit;
  }
  const at = parseIsoTime(text);
  if (at !== undefined) return at;
  throw new UsageError(`"${text}" is not a time`, {
    hint: 'give a duration such as 30m, 2h, 7d, or an ISO time such as 2025-01-31T12:00:00Z',
  });
}

/**
 * An ISO date or date-time (`2025-01-31`, `2025-01-31T12:00:00Z`) in ms since the epoch, or undefined
 * for anything else — including dates that do not exist (`2025-02-31`), which `Date.parse` rolls over.
 */
export function parseIsoTime(text: string): number | undefined {
  const date = /^(\d{4})-(\d{2})-(\d{2})(?:$|[T ])/.exec(text.trim());
  if (date === null) return undefined;
  const [year, month, day] = [Number(date[1]), Number(date[2]), Number(date[3])];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth) return undefined;
  const ms = Date.parse(text.trim());
  return Number.isFinite(ms) ? ms : undefined;
}
