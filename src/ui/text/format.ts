/** Number and time formatting shared by every text renderer. */

/**
 * 1234567 → "1,234,567", as `toLocaleString('en-US')` writes it. Integers (what is counted) are grouped
 * here: the first `toLocaleString` of a process sets up ICU's number formatting, 5–20 ms of CPU that
 * `agentctl status` paid to print a handful of numbers. Anything else (fractions, -0, beyond 2^53) is
 * left to `toLocaleString`.
 */
export function count(n: number | undefined): string {
  if (n === undefined) return '-';
  if (!Number.isSafeInteger(n) || Object.is(n, -0)) return n.toLocaleString('en-US');
  return String(n).replace(/\B(?=(\d{3})+$)/g, ',');
}

/** "1 item", "3 items". */
export function plural(n: number, word: string): string {
  return `${count(n)} ${word}${n === 1 ? '' : 's'}`;
}

/** 1234 → "1.2k", 2500000 → "2.5M". */
export function compact(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '-';
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${(n / 1e9).toFixed(1)}G`;
  if (abs >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (abs >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

/** 950 → "950ms", 61000 → "1m1s", 90061000 → "1d1h". */
export function duration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${(ms / 1000).toFixed(s < 10 ? 1 : 0)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${m % 60}m`;
  return `${Math.floor(h / 24)}d${h % 24}h`;
}

export function age(at: number | undefined, now = Date.now()): string {
  return at === undefined ? '-' : `${duration(Math.max(0, now - at))} ago`;
}

export function timestamp(at: number | undefined): string {
  return at === undefined
    ? '-'
    : new Date(at)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z');
}

/** Shortens long text in the middle: "abcdef…uvwxyz". */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const half = Math.floor((max - 1) / 2);
  return `${text.slice(0, half)}…${text.slice(text.length - (max - 1 - half))}`;
}

/** Eight-level sparkline of a series (empty when there is nothing to show). */
export function sparkline(values: readonly number[]): string {
  if (values.length === 0) return '';
  const bars = '▁▂▃▄▅▆▇█';
  const max = Math.max(...values);
  if (max <= 0) return bars[0]!.repeat(values.length);
  return values.map((v) => bars[Math.min(7, Math.floor((v / max) * 7.999))]).join('');
}
