import type { Effort } from '../../model/effort.js';
import type { RunRecord } from '../../model/run-record.js';
import type { RunForm, StateStore } from '../../store/state-store.js';
import { EMPTY_BATCH, PAGE, type Tally } from './copy-kinds.js';

/**
 * Copies runs in one form (`full` rows or compact `ledger` entries, as `runs.iterate` gives them) and
 * publish efforts whole, page by page; a run or effort whose id the target has is skipped.
 */
export async function copyRuns(from: StateStore, to: StateStore, form: RunForm, tally: Tally): Promise<void> {
  const kind = form === 'full' ? 'runs' : 'ledger';
  let page: RunRecord[] = [];
  const flushPage = async () => {
    const present = await to.runs.lookup(
      page.map((run) => run.id),
      page.map((run) => run.eventId),
    );
    const missing = page.filter((run) => !present.has(run.id));
    if (missing.length > 0) {
      if (form === 'full') await to.runs.upsert(missing);
      else await to.flush({ ...EMPTY_BATCH, ledger: missing });
    }
    tally(kind, missing.length, page.length - missing.length);
    page = [];
  };
  for await (const run of from.runs.iterate(form, PAGE)) {
    page.push(run);
    if (page.length === PAGE) await flushPage();
  }
  if (page.length > 0) await flushPage();
}

export async function copyEfforts(from: StateStore, to: StateStore, tally: Tally): Promise<void> {
  const known = new Set<string>();
  for await (const effort of to.efforts.iterate(PAGE)) known.add(effort.id);
  let page: Effort[] = [];
  const flushPage = async () => {
    const missing = page.filter((effort) => !known.has(effort.id));
    if (missing.length > 0) await to.flush({ ...EMPTY_BATCH, efforts: missing });
    tally('efforts', missing.length, page.length - missing.length);
    page = [];
  };
  for await (const effort of from.efforts.iterate(PAGE)) {
    page.push(effort);
    if (page.length === PAGE) await flushPage();
  }
  if (page.length > 0) await flushPage();
}
