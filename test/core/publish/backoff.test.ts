import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type BackoffOptions, backoff, nominalDelay } from '../../../src/core/retry/backoff.js';

// Whole milliseconds: the port rounds delays, so a fractional `maxMs` could be rounded past (see report).
const kinds = fc.constantFrom('constant' as const, 'linear' as const, 'exponential' as const);
const options = fc.record<BackoffOptions>({
  kind: kinds,
  baseMs: fc.integer({ min: 0, max: 60_000 }),
  maxMs: fc.integer({ min: 0, max: 600_000 }),
  jitter: fc.double({ min: 0, max: 1, noNaN: true }),
});
const randomValue = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
const retries = fc.integer({ min: 1, max: 60 });

function delays(opts: BackoffOptions, count: number, random: () => number): number[] {
  const out: number[] = [];
  let current = backoff(opts, random);
  for (let i = 0; i < count; i++) {
    out.push(current.delayMs);
    current = current.next();
  }
  return out;
}

describe('backoff', () => {
  it('given any options and randomness, when retrying, then every delay is within [0, maxMs]', () => {
    fc.assert(
      fc.property(options, retries, fc.infiniteStream(randomValue), (opts, count, stream) => {
        const iterator = stream[Symbol.iterator]();
        const random = () => iterator.next().value as number;
        for (const delay of delays(opts, count, random)) {
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(opts.maxMs);
        }
      }),
    );
  });

  it('given jitter, when a delay is drawn, then it lies between the jittered floor and the nominal delay', () => {
    fc.assert(
      fc.property(options, retries, randomValue, (opts, n, r) => {
        let current = backoff(opts, () => r);
        while (current.retry < n) current = current.next();
        const nominal = nominalDelay(opts, n);
        expect(current.delayMs).toBeGreaterThanOrEqual(Math.floor(nominal * (1 - opts.jitter)));
        expect(current.delayMs).toBeLessThanOrEqual(Math.ceil(nominal));
      }),
    );
  });

  it('given any kind, when the retry number grows, then the nominal delay never decreases', () => {
    fc.assert(
      fc.property(options, fc.integer({ min: 1, max: 1_000 }), (opts, n) => {
        expect(nominalDelay(opts, n + 1)).toBeGreaterThanOrEqual(nominalDelay(opts, n));
      }),
    );
  });

  it('given a positive base, when the retry number is huge, then the exponential delay is the cap', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000 }), fc.integer({ min: 0, max: 10_000 }), (base, max) => {
        expect(nominalDelay({ kind: 'exponential', baseMs: base, maxMs: max, jitter: 0 }, 5_000)).toBe(max);
      }),
    );
  });

  it('given jitter 0, when the randomness differs, then the delays are the same', () => {
    fc.assert(
      fc.property(options, retries, randomValue, randomValue, (opts, count, a, b) => {
        const deterministic = { ...opts, jitter: 0 };
        expect(delays(deterministic, count, () => a)).toEqual(delays(deterministic, count, () => b));
      }),
    );
  });

  it('given an uncapped policy, when retrying, then constant, linear and exponential follow their formulas', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000 }), fc.integer({ min: 1, max: 20 }), (base, n) => {
        const maxMs = Number.MAX_SAFE_INTEGER;
        expect(nominalDelay({ kind: 'constant', baseMs: base, maxMs, jitter: 0 }, n)).toBe(base);
        expect(nominalDelay({ kind: 'linear', baseMs: base, maxMs, jitter: 0 }, n)).toBe(base * n);
        expect(nominalDelay({ kind: 'exponential', baseMs: base, maxMs, jitter: 0 }, n)).toBe(
          base * 2 ** (n - 1),
        );
      }),
    );
  });

  it('given a backoff, when next() is called twice on it, then it is unchanged and both successors agree', () => {
    const first = backoff({ kind: 'exponential', baseMs: 100, maxMs: 10_000, jitter: 0 });
    const a = first.next();
    const b = first.next();
    expect(first.retry).toBe(1);
    expect(first.delayMs).toBe(100);
    expect([a.retry, a.delayMs]).toEqual([2, 200]);
    expect([b.retry, b.delayMs]).toEqual([2, 200]);
    expect(a.next().delayMs).toBe(400);
  });
});
