import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../../src/core/model/run-record.js';
import { Journal } from '../../../src/core/store/journal.js';

function run(id: string, state: RunRecord['state'] = 'succeeded'): RunRecord {
  return {
    id,
    group: 'g',
    eventId: id,
    eventType: 't',
    rule: 'r',
    process: 'p',
    state,
    attempts: 1,
    steps: [],
    createdAt: 0,
    updatedAt: 0,
    runner: 'inline',
  };
}

describe('Journal', () => {
  describe('admit', () => {
    it('Given a run executing past its turn, When a copy asks, Then it waits until the run finished, and is then skipped if it succeeded', async () => {
      const journal = new Journal();
      expect(journal.admit('a')).toBe('run');
      journal.executing('a');
      const copy = journal.admit('a');
      expect(copy).toBeInstanceOf(Promise);
      let woke = false;
      void (copy as Promise<void>).then(() => {
        woke = true;
      });
      await Promise.resolve();
      expect(woke).toBe(false);
      journal.recordRun(run('a'));
      journal.finished('a');
      await copy;
      expect(woke).toBe(true);
      expect(journal.admit('a')).toBe('skip');
    });

    it('Given a run that failed, When a copy asks after it, Then the copy may run', () => {
      const journal = new Journal();
      expect(journal.admit('a')).toBe('run');
      journal.executing('a');
      journal.recordRun(run('a', 'failed'));
      journal.finished('a');
      expect(journal.admit('a')).toBe('run');
    });

    it('Given a run that succeeded in the turn it was admitted in (never marked executing), When a copy asks, Then it is skipped', () => {
      const journal = new Journal();
      expect(journal.admit('a')).toBe('run');
      journal.recordRun(run('a'));
      expect(journal.admit('a')).toBe('skip');
      journal.finished('a');
      expect(journal.admit('a')).toBe('skip');
    });
  });

  describe('hasSucceeded across flushes', () => {
    it('Given no lookup held, Then a success is remembered while its batch or the next may be flushing, and forgotten after', () => {
      const journal = new Journal();
      journal.recordRun(run('a'));
      journal.take();
      expect(journal.hasSucceeded('a')).toBe(true);
      journal.take();
      expect(journal.hasSucceeded('a')).toBe(true);
      journal.take();
      expect(journal.hasSucceeded('a')).toBe(false);
    });

    it('Given a lookup held before a success, Then the success is remembered however many flushes pass, until the hold is done', () => {
      const journal = new Journal();
      const hold = journal.hold(2);
      journal.recordRun(run('a'));
      for (let i = 0; i < 5; i++) journal.take();
      expect(journal.hasSucceeded('a')).toBe(true);
      hold.done();
      expect(journal.hasSucceeded('a')).toBe(true);
      hold.done();
      expect(journal.hasSucceeded('a')).toBe(false);
    });

    it('Given a success in a flushing batch recorded again unfinished, Then it is remembered until that batch is forgotten', () => {
      const journal = new Journal();
      journal.recordRun(run('a'));
      journal.take();
      journal.recordRun(run('a', 'running'));
      expect(journal.hasSucceeded('a')).toBe(true);
      journal.take();
      expect(journal.hasSucceeded('a')).toBe(true);
      journal.take();
      expect(journal.hasSucceeded('a')).toBe(false);
    });

    it('Given a success recorded unfinished again in the same batch, Then it is not a success', () => {
      const journal = new Journal();
      journal.recordRun(run('a'));
      journal.recordRun(run('a', 'running'));
      expect(journal.hasSucceeded('a')).toBe(false);
    });

    it('Given a lookup released while a success is buffered, When that run is recorded unfinished again, Then it is not a success', () => {
      const journal = new Journal();
      const hold = journal.hold(1);
      journal.recordRun(run('a'));
      hold.done();
      journal.recordRun(run('a', 'running'));
      expect(journal.hasSucceeded('a')).toBe(false);
    });

    it('Given many flushes of distinct successes, Then each is remembered for its batch and the next, and forgotten after', () => {
      const journal = new Journal();
      for (let i = 0; i < 10; i++) {
        journal.recordRun(run(`r${i}`));
        journal.take();
        expect(journal.hasSucceeded(`r${i}`)).toBe(true);
        if (i >= 1) expect(journal.hasSucceeded(`r${i - 1}`)).toBe(true);
        if (i >= 2) expect(journal.hasSucceeded(`r${i - 2}`)).toBe(false);
      }
    });

    it('Given a success newer than a forgotten batch where it also succeeded, Then it is still remembered', () => {
      const journal = new Journal();
      journal.recordRun(run('a'));
      journal.take();
      journal.recordRun(run('a'));
      journal.take();
      journal.take();
      expect(journal.hasSucceeded('a')).toBe(true);
      journal.take();
      expect(journal.hasSucceeded('a')).toBe(false);
    });

    it('Given a batch restored after a failed flush, Then its successes are remembered until a later batch holding them is forgotten', () => {
      const journal = new Journal();
      journal.recordRun(run('a'));
      const batch = journal.take();
      journal.take();
      journal.take();
      expect(journal.hasSucceeded('a')).toBe(false);
      journal.restore(batch);
      expect(journal.hasSucceeded('a')).toBe(true);
      journal.take();
      journal.take();
      expect(journal.hasSucceeded('a')).toBe(true);
      journal.take();
      expect(journal.hasSucceeded('a')).toBe(false);
    });

    it('Given a hold taken after a batch was surely flushed, Then that batch is not kept for it', () => {
      const journal = new Journal();
      journal.recordRun(run('a'));
      journal.take();
      journal.take();
      journal.take();
      const hold = journal.hold(1);
      expect(journal.hasSucceeded('a')).toBe(false);
      journal.take();
      expect(journal.hasSucceeded('a')).toBe(false);
      hold.done();
    });
  });
});
