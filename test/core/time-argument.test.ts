import { describe, expect, it } from 'vitest';
import { isUsageError } from '../../src/core/errors/usage-error.js';
import { parseTimeArgument } from '../../src/core/time-argument.js';

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);

describe('parseTimeArgument', () => {
  it('Given a duration, Then it is that long before now', () => {
    expect(parseTimeArgument('90s', NOW)).toBe(NOW - 90_000);
    expect(parseTimeArgument(' 15m ', NOW)).toBe(NOW - 900_000);
    expect(parseTimeArgument('2h', NOW)).toBe(NOW - 7_200_000);
    expect(parseTimeArgument('7d', NOW)).toBe(NOW - 604_800_000);
    expect(parseTimeArgument('250ms', NOW)).toBe(NOW - 250);
  });

  it('Given an ISO time, Then it is that time, whatever now is', () => {
    expect(parseTimeArgument('2026-01-31T12:00:00Z', NOW)).toBe(Date.UTC(2026, 0, 31, 12));
    expect(parseTimeArgument('2100-01-01', NOW)).toBe(Date.UTC(2100, 0, 1));
  });

  it('Given anything else, Then it is a usage error naming the text', () => {
    for (const text of ['last week', '7 days', '-2h', '2026/01/31', '']) {
      expect(() => parseTimeArgument(text, NOW)).toThrow(`"${text}" is not a time`);
      try {
        parseTimeArgument(text, NOW);
      } catch (error) {
        expect(isUsageError(error)).toBe(true);
      }
    }
  });
});

describe('parseIsoTime', () => {
  it('Given a date that does not exist, Then it is not a time (Date.parse would roll it over)', async () => {
    const { parseIsoTime } = await import('../../src/core/time-argument.js');
    expect(parseIsoTime('2025-02-31')).toBeUndefined();
    expect(parseIsoTime('2025-13-01')).toBeUndefined();
    expect(parseIsoTime('yesterday')).toBeUndefined();
    expect(parseIsoTime('2024-02-29')).toBe(Date.UTC(2024, 1, 29));
    expect(parseIsoTime('2025-01-31T12:00:00Z')).toBe(Date.UTC(2025, 0, 31, 12));
    expect(() => parseTimeArgument('2025-02-31', NOW)).toThrow('"2025-02-31" is not a time');
  });
});
