import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../../src/core/model/run-record.js';
import { Journal } from '../../../src/core/store/journal.js';
import { toLedgerData } from '../../../src/core/store/rows/ledger-codec.js';
import { ledgerRun } from './fixtures/child-jobs.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Records `make()`'s run in the journal and says whether the record is still alive after a full GC. */
async function recordedAndCollected(journal: Journal, make: () => RunRecord): Promise<boolean> {
  const ref = new WeakRef(make());
  journal.recordRun(ref.deref()!);
  // A WeakRef keeps its target until the current job ends.
  await new Promise((resolve) => setTimeout(resolve, 0));
  gc();
  return ref.deref() === undefined;
}

describe('Journal: a plain success is held in its ledger form', () => {
  it('Given a plain success recorded, When the executor lets go of its record, Then the journal does not keep it alive, and the flush still gets the same run', async () => {
    const journal = new Journal();

    expect(await recordedAndCollected(journal, () => ledgerRun(1))).toBe(true);

    expect(journal.hasSucceeded(ledgerRun(1).id)).toBe(true);
    const batch = journal.take();
    expect(batch.ledger).toHaveLength(1);
    expect(toLedgerData(batch.ledger[0]!)).toEqual(toLedgerData(ledgerRun(1)));
    expect(batch.ledger[0]).toMatchObject({ id: ledgerRun(1).id, eventId: 'evt-1', state: 'succeeded' });
  });

  it('Given a run that retried a step, Then its full record is kept for the full write', async () => {
    const journal = new Journal();
    const retried = (): RunRecord => {
      const run = ledgerRun(2);
      return { ...run, steps: [{ ...run.steps[0]!, attempts: 2 }] };
    };

    expect(await recordedAndCollected(journal, retried)).toBe(false);
    expect(journal.take().runs).toHaveLength(1);
  });
});
