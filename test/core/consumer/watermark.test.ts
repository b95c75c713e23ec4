import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Watermark } from '../../../src/core/consumer/watermark.js';

/** The reference: the highest i such that positions 0..i are all done. */
function highestContiguous(done: ReadonlySet<number>): number | undefined {
  let i = -1;
  while (done.has(i + 1)) i++;
  return i < 0 ? undefined : i;
}

describe('Watermark', () => {
  it('commits only up to the first position that is not done', () => {
    const w = new Watermark();
    for (const p of ['0', '1', '2', '3']) w.track(p);
    w.done('2');
    expect(w.committable).toBeUndefined();
    w.done('0');
    expect(w.committable).toBe('0');
    w.done('1');
    expect(w.committable).toBe('2');
    expect(w.pending).toBe(1);
  });

  it('names the first position not done (where a partition is read again after abandoned work)', () => {
    const w = new Watermark();
    expect(w.oldestPending).toBeUndefined();
    for (const p of ['0', '1', '2']) w.track(p);
    w.done('1');
    expect(w.oldestPending).toBe('0');
    w.done('0');
    expect(w.oldestPending).toBe('2');
    w.done('2');
    expect(w.oldestPending).toBeUndefined();
  });

  it('ignores positions never tracked and repeated done calls', () => {
    const w = new Watermark();
    w.track('a');
    expect(w.done('zzz')).toBe(false);
    expect(w.done('a')).toBe(true);
    expect(w.done('a')).toBe(false);
    expect(w.drained).toBe(true);
  });

  it('keeps its answers when positions are done away from the head, drained, then tracked again', () => {
    // Given positions done out of order until the watermark drains, then more tracked and done out of order
    const w = new Watermark();
    w.track('1');
    w.track('2');
    expect(w.done('2')).toBe(false);
    expect(w.done('1')).toBe(true);
    expect(w.drained).toBe(true);
    w.track('3');
    w.track('4');
    w.track('5');

    // Then repeated and passed positions are no-ops, and each done position counts once
    expect(w.done('2')).toBe(false);
    expect(w.done('5')).toBe(false);
    expect(w.done('5')).toBe(false);
    expect(w.done('3')).toBe(true);
    expect(w.committable).toBe('3');
    expect(w.oldestPending).toBe('4');
    w.track('6');
    expect(w.done('6')).toBe(false);
    expect(w.done('4')).toBe(true);
    expect(w.committable).toBe('6');
    expect(w.drained).toBe(true);
  });

  it('property: for any completion order, the checkpoint is the highest contiguous done position', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 300 })
          .chain((n) =>
            fc.tuple(
              fc.constant(n),
              fc.shuffledSubarray([...Array(n).keys()], { minLength: 0, maxLength: n }),
            ),
          ),
        ([n, order]) => {
          const w = new Watermark();
          for (let i = 0; i < n; i++) w.track(String(i));
          const done = new Set<number>();
          for (const i of order) {
            w.done(String(i));
            done.add(i);
            const expected = highestContiguous(done);
            expect(w.committable).toBe(expected === undefined ? undefined : String(expected));
          }
          expect(w.pending).toBe(n - (highestContiguous(done) ?? -1) - 1);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: the watermark never moves backwards and takeCommittable reports each move once', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(2000), { minLength: 1, maxLength: 400 }), (raw) => {
        const n = 2001;
        const w = new Watermark();
        for (let i = 0; i < n; i++) w.track(String(i));
        let last = -1;
        for (const i of raw) {
          w.done(String(i));
          const taken = w.takeCommittable();
          if (taken !== undefined) {
            expect(Number(taken)).toBeGreaterThan(last);
            last = Number(taken);
          }
          expect(w.takeCommittable()).toBeUndefined();
        }
      }),
    );
  });
});
