import type { DispatchEntry, DispatchProcessesOptions } from './dispatch.js';

/**
 * The re-publish of kept records for `DispatchProcesses`: a run that succeeded in an earlier delivery
 * of its event is skipped, but a crash between the run and the publish of its record may have kept the
 * record from going out. When the step has `efforts` (and `runs.get`), such a run's stored record is put
 * in its entry's `republish`, and its output goes out again with the event's other records.
 */

/** A skipped, succeeded run whose process publishes: its record may never have been delivered. */
export interface RepublishCandidate {
  readonly entry: DispatchEntry;
  readonly id: string;
  readonly eventId: string;
}

/** Whether the step can find undelivered records at all (it was given `efforts` and `runs.get`). */
export function canRepublish(options: DispatchProcessesOptions): boolean {
  return options.efforts !== undefined && options.runs.get !== undefined;
}

/** The candidates with no delivered publish effort: their stored runs go to their entries' `republish`. */
export async function findUndelivered(
  candidates: readonly RepublishCandidate[],
  options: DispatchProcessesOptions,
): Promise<void> {
  const runs = options.runs;
  const efforts = options.efforts!;
  for (const { entry, id, eventId } of candidates) {
    const delivered = await efforts.list({ runId: id, culmination: 'delivered', limit: 1 });
    if (delivered.length > 0) continue;
    const run = await runs.get!(id, eventId);
    if (run?.state === 'succeeded') entry.republish.push(run);
  }
}
