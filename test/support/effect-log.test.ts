import { describe, expect, it } from 'vitest';
import { effectRecord, effectRecordSource, wholeRecords } from './effect-log.js';

describe('effect logs', () => {
  it('Given records appended whole, When read, Then each comes back once, in order', () => {
    const text = ['evt-1 a', 'evt-2 a', 'evt-3 b'].map(effectRecord).join('');
    expect(wholeRecords(text)).toEqual(['evt-1 a', 'evt-2 a', 'evt-3 b']);
  });

  it('Given a record cut by a kill and the next writer appending after it, When read, Then the cut one is left out and the next one is whole (it was read as one glued line before)', () => {
    const cut = effectRecord('evt-1503 crash-agent').slice(0, 7);
    const text = effectRecord('evt-1502 crash-agent') + cut + effectRecord('evt-1503 crash-agent');
    expect(wholeRecords(text)).toEqual(['evt-1502 crash-agent', 'evt-1503 crash-agent']);
    // The old format: one line per record, no newline before it.
    const old = 'evt-1502 crash-agent\n' + 'evt-15' + 'evt-1503 crash-agent\n';
    expect(old.split('\n').filter(Boolean)).not.toContain('evt-1503 crash-agent');
  });

  it('Given a record cut after its text or after its first newline, or at the end of the file, When read, Then only whole records come back', () => {
    expect(wholeRecords(`\nA\n\nB${effectRecord('C')}`)).toEqual(['A', 'C']);
    expect(wholeRecords(`\nA\n\n${effectRecord('C')}`)).toEqual(['A', 'C']);
    expect(wholeRecords(`\nA\n\nB`)).toEqual(['A']);
    expect(wholeRecords('')).toEqual([]);
  });

  it('Given the source form, When evaluated, Then it writes what effectRecord writes', () => {
    const id = 'evt-7';
    expect(new Function('id', `return ${effectRecordSource('id')};`)(id)).toBe(effectRecord(id));
  });
});
