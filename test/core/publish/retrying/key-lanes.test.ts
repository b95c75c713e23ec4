import { describe, expect, it } from 'vitest';
import { KeyLanes } from '../../../../src/core/publish/retrying/key-lanes.js';

const entry = (name: string, key?: string) => ({ name, record: key === undefined ? {} : { key } });

describe('KeyLanes', () => {
  it('Given entries without a key, When they enter, Then each may go at once and leaving frees nothing', () => {
    const lanes = new KeyLanes<ReturnType<typeof entry>>();
    const a = entry('a');
    expect(lanes.enter(a)).toBe(true);
    expect(lanes.enter(entry('b'))).toBe(true);
    expect(lanes.leave(a)).toBeUndefined();
  });

  it('Given three entries of one key, When the head leaves each time, Then the next goes, in publish order', () => {
    const lanes = new KeyLanes<ReturnType<typeof entry>>();
    const [a, b, c] = [entry('a', 'k'), entry('b', 'k'), entry('c', 'k')];
    expect([lanes.enter(a), lanes.enter(b), lanes.enter(c)]).toEqual([true, false, false]);
    expect(lanes.leave(a)).toBe(b);
    expect(lanes.leave(b)).toBe(c);
    expect(lanes.leave(c)).toBeUndefined();
    expect(lanes.enter(entry('d', 'k'))).toBe(true);
  });

  it('Given an entry behind the head, When it leaves (abandoned), Then the head keeps the key and nothing goes', () => {
    const lanes = new KeyLanes<ReturnType<typeof entry>>();
    const [a, b, c] = [entry('a', 'k'), entry('b', 'k'), entry('c', 'k')];
    for (const e of [a, b, c]) lanes.enter(e);
    expect(lanes.leave(b)).toBeUndefined();
    expect(lanes.leave(b)).toBeUndefined();
    expect(lanes.leave(a)).toBe(c);
  });

  it('Given two keys, When one is blocked, Then the other is not', () => {
    const lanes = new KeyLanes<ReturnType<typeof entry>>();
    expect(lanes.enter(entry('a', 'x'))).toBe(true);
    expect(lanes.enter(entry('b', 'x'))).toBe(false);
    expect(lanes.enter(entry('c', 'y'))).toBe(true);
  });
});
