import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DoneLog } from '../../../src/core/consumer/done-log.js';

describe('DoneLog', () => {
  it('Given a, b, c tracked, When c is done before a, Then c is handed out at once and a, b stay pending', () => {
    const log = new DoneLog();
    for (const p of ['a', 'b', 'c']) log.track(p);
    expect(log.done('c')).toBe(true);
    expect(log.takeDone()).toEqual(['c']);
    expect(log.pending).toBe(2);
    expect(log.oldestPending).toBe('a');
    expect(log.drained).toBe(false);
  });

  it('Given every position done, Then it is drained and nothing is pending; done twice or untracked is a no-op', () => {
    const log = new DoneLog();
    log.track('a');
    log.track('b');
    log.done('b');
    log.done('a');
    expect(log.done('a')).toBe(false);
    expect(log.done('zz')).toBe(false);
    expect(log.takeDone()).toEqual(['b', 'a']);
    expect(log.changed).toBe(false);
    expect(log.drained).toBe(true);
    expect(log.oldestPending).toBeUndefined();
  });

  it('keeps counting right over many in-order positions (compaction)', () => {
    const log = new DoneLog();
    for (let i = 0; i < 5000; i++) {
      log.track(String(i));
      if (i % 7 !== 0) log.done(String(i));
    }
    expect(log.pending).toBe(Math.ceil(5000 / 7));
    expect(log.oldestPending).toBe('0');
    expect(log.takeDone().length).toBe(5000 - Math.ceil(5000 / 7));
  });

  it('Property: tracking and done in any interleaving hands out each tracked position once, pending counts right', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant(-1), fc.nat({ max: 60 })), { maxLength: 300 }), (ops) => {
        const log = new DoneLog();
        const tracked: string[] = [];
        const done = new Set<string>();
        const handed: string[] = [];
        for (const op of ops) {
          if (op === -1 || tracked.length === 0) {
            tracked.push(`p${tracked.length}`);
            log.track(tracked.at(-1)!);
          } else {
            const position = tracked[op % tracked.length]!;
            expect(log.done(position)).toBe(!done.has(position));
            done.add(position);
          }
          if (op % 7 === 0) handed.push(...log.takeDone());
          expect(log.pending).toBe(tracked.length - done.size);
          expect(log.oldestPending).toBe(tracked.find((p) => !done.has(p)));
        }
        handed.push(...log.takeDone());
        expect(handed.sort()).toEqual([...done].sort());
      }),
    );
  });
});
