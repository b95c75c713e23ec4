import { NotFoundError } from '../../errors/not-found-error.js';
import type { Effort } from '../../model/effort.js';
import { RUN_ID_LENGTH } from '../../model/run-id.js';
import type { RunRecord } from '../../model/run-record.js';
import type { FailedMessage } from '../../store/records.js';
import type { RunForm, StateStore } from '../../store/state-store.js';
import { eventFromLog, eventOfParked, type RunEvent } from './run-event.js';

/** Everything `runs show` (and the console's run detail) tells of one run. */
export interface RunDetail {
  /** The run with its steps, each with every attempt (start, duration, error, fatal). */
  readonly run: RunRecord;
  /**
   * The run has no step records: it is stored as a compact ledger entry (a plain success), which keeps
   * the run's times but not its steps.
   */
  readonly ledger: boolean;
  readonly event: RunEvent;
  /** The publish efforts of the run (its results sent to the sink), each with every attempt; newest first. */
  readonly efforts: readonly Effort[];
  /** Failed-store items of the run: its event (parked), records of it a sink refused. Oldest first. */
  readonly parked: readonly FailedMessage[];
}

/** Parked items are looked for among those failed since the run was created, less this margin (clock skew). */
const PARKED_SKEW_MS = 60_000;

/**
 * The run `id` names and all there is to know of it (see `RunDetail`). `id` may be a unique prefix of a
 * run id (then every run is scanned, a page at a time). `eventId`, when known (the console has it), finds
 * a run of the ledger without a scan (see `RunStore.get`).
 * @throws NotFoundError (exit 2) when no run has this id or prefix, or when the prefix is not unique.
 */
export async function runDetail(store: StateStore, id: string, eventId?: string): Promise<RunDetail> {
  const run = await findRun(store, id, eventId);
  const [efforts, parked] = await Promise.all([
    store.efforts.list({ runId: run.id }),
    parkedOfRun(store, run),
  ]);
  const parkedEvent = parked.find((item) => item.kind === 'event');
  return {
    run,
    ledger: run.steps.length === 0 && run.state === 'succeeded',
    event: parkedEvent === undefined ? await eventFromLog(store, run) : eventOfParked(parkedEvent),
    efforts,
    parked,
  };
}

/** The run of this id, or of this unique id prefix. @throws NotFoundError */
export async function findRun(store: StateStore, id: string, eventId?: string): Promise<RunRecord> {
  const exact = id === '' ? undefined : await store.runs.get(id, eventId);
  if (exact !== undefined) return exact;
  const hint = 'agentctl runs list (ids are shown whole; a unique prefix of one will do)';
  if (id.length === 0 || id.length >= RUN_ID_LENGTH) throw new NotFoundError(`run ${id} not found`, { hint });
  const found: RunRecord[] = [];
  for (const form of ['full', 'ledger'] as RunForm[]) {
    for await (const run of store.runs.iterate(form)) {
      if (!run.id.startsWith(id) || found.some((r) => r.id === run.id)) continue;
      found.push(run);
      if (found.length > 2) break;
    }
    if (found.length > 2) break;
  }
  if (found.length === 1) return found[0]!;
  if (found.length === 0) throw new NotFoundError(`no run id starts with ${id}`, { hint });
  throw new NotFoundError(
    `${id} is the start of more than one run id: ${found
      .slice(0, 2)
      .map((r) => r.id)
      .join(', ')}${found.length > 2 ? ', …' : ''}`,
    { hint: 'give more characters of the id' },
  );
}

/**
 * The failed-store items of a run, whatever their status: items that name the run (its event parked for
 * its failure, records a sink refused), and the parked event of the run (parked for another run of it).
 */
async function parkedOfRun(store: StateStore, run: RunRecord): Promise<FailedMessage[]> {
  const items: FailedMessage[] = [];
  const since = run.createdAt - PARKED_SKEW_MS;
  for await (const item of store.failed.iterate({ group: run.group, status: 'any', since })) {
    const sameEvent =
      item.kind === 'event' &&
      item.eventId === run.eventId &&
      (run.origin === undefined || item.source === run.origin.source);
    if (item.runId === run.id || sameEvent) items.push(item);
  }
  return items;
}
