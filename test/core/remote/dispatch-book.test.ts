import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../../src/core/model/run-record.js';
import { Stats } from '../../../src/core/model/stats.js';
import { DispatchBook } from '../../../src/core/remote/dispatch-book.js';

function run(id: string, state: RunRecord['state']): RunRecord {
  return { id, state } as RunRecord;
}

function book() {
  const journaled: string[] = [];
  const stats = new Stats();
  const journal = { recordRun: (r: RunRecord) => journaled.push(`${r.id}:${r.state}`) };
  return { book: new DispatchBook({ journal, stats }), journaled, stats };
}

describe('DispatchBook', () => {
  it('Given a dispatched run, When its task is confirmed, Then it is journaled pending and awaits its result', () => {
    const { book: b, journaled, stats } = book();
    const entry = b.open('r1');
    expect(b.awaitingResults).toBe(1);

    b.confirmed(entry, run('r1', 'pending'));

    expect(journaled).toEqual(['r1:pending']);
    expect(stats.runs.pending).toBe(1);
    expect(b.awaitingResults).toBe(1);
  });

  it('Given a confirmed run, When its result is recorded, Then the result is journaled and the counters move', () => {
    const { book: b, journaled, stats } = book();
    b.confirmed(b.open('r1'), run('r1', 'pending'));

    b.resultRecorded(run('r1', 'succeeded'));

    expect(journaled).toEqual(['r1:pending', 'r1:succeeded']);
    expect(stats.runs).toMatchObject({ pending: 0, succeeded: 1 });
    expect(b.awaitingResults).toBe(0);
  });

  it('Given a result that comes before the confirm, When the confirm comes, Then the result is journaled after the pending record', () => {
    const { book: b, journaled, stats } = book();
    const entry = b.open('r1');

    b.resultRecorded(run('r1', 'failed'));
    expect(journaled).toEqual([]);
    expect(b.awaitingResults).toBe(0);

    b.confirmed(entry, run('r1', 'pending'));
    expect(journaled).toEqual(['r1:pending', 'r1:failed']);
    expect(stats.runs).toMatchObject({ pending: 0, failed: 1 });
  });

  it('Given a result of a run not dispatched in this session, When it is recorded, Then nothing is journaled', () => {
    const { book: b, journaled } = book();
    b.resultRecorded(run('earlier', 'succeeded'));
    expect(journaled).toEqual([]);
  });

  it('Given a dispatch that was aborted, When it is forgotten, Then it no longer awaits a result', () => {
    const { book: b } = book();
    b.open('r1');
    b.forget('r1');
    expect(b.awaitingResults).toBe(0);
  });
});
