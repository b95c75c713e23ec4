import { appended } from '../appended.js';
import { runIdOf } from '../model/run-id.js';
import type { RunRecord } from '../model/run-record.js';
import type { RunJob } from '../runners/runner.js';
import { type DispatchEntry, type DispatchProcessesOptions, originOf } from './dispatch.js';
import type { RepublishCandidate } from './dispatch-republish.js';

/**
 * The lookup of earlier runs for `DispatchProcesses`, in two halves around one store query per poll:
 * `planRuns` turns the matches of new events into pending runs (skipping those the unflushed journal
 * knows succeeded) and names the run ids to look up; `applyKnownRuns` sorts the planned runs by what
 * the store knew of them: succeeded runs are skipped (unless `rerun`), unfinished ones run again and
 * overwrite their record. The run id is derived from (group, event, rule), so a redelivered or replayed
 * event finds its earlier runs.
 */

/** The runs planned for one event. */
export interface PlannedRuns {
  readonly entry: DispatchEntry;
  readonly jobs: RunJob[];
}

/** The runs planned for a stretch of events, and the ids (with their events' ids) to look up. */
export interface RunPlan {
  readonly planned: PlannedRuns[];
  readonly ids: string[];
  readonly eventIds: string[];
}

/**
 * Pending runs for the matches of `entries`, in order; a run the journal knows succeeded is skipped. The
 * clock is read once for the stretch (its runs are created together, and a read per run cost about as much
 * as planning it), and only if a run is planned.
 */
export function planRuns(entries: Iterable<DispatchEntry>, options: DispatchProcessesOptions): RunPlan {
  const { journal, group, now, runner, worker } = options;
  const plan: RunPlan = { planned: [], ids: [], eventIds: [] };
  let createdAt: number | undefined;
  for (const entry of entries) {
    const { event, matches } = entry.message.payload;
    let jobs: RunJob[] = [];
    for (const match of matches) {
      const id = runIdOf(group, event, match.rule);
      if (journal.hasSucceeded(id)) {
        entry.skipped.push(id);
        continue;
      }
      const process = options.processes.require(match.process);
      createdAt ??= now();
      // One literal with every field the executor sets (undefined until then, as JSON leaves it out): a
      // field added later moves the record's fields to a second store, and a spread costs an object.
      const run: RunRecord = {
        id,
        group,
        eventId: event.id,
        eventType: event.type,
        rule: match.rule,
        process: match.process,
        state: 'pending',
        attempts: 0,
        steps: [],
        createdAt,
        updatedAt: createdAt,
        runner: runner.kind,
        origin: originOf(options.source, entry.message),
        worker,
        startedAt: undefined,
        finishedAt: undefined,
        currentStep: undefined,
        output: undefined,
      };
      jobs = appended(jobs, { run, process, event, params: match.params });
      plan.ids.push(id);
      plan.eventIds.push(run.eventId);
    }
    plan.planned.push({ entry, jobs });
  }
  return plan;
}

/**
 * Gives each planned entry its jobs, given the states the store `known` for their run ids. A run that
 * succeeded before is skipped — and, when its process publishes, returned as a candidate whose record
 * may never have gone out; with `rerun` it runs again and its record replaces the earlier one.
 */
export function applyKnownRuns(
  plan: RunPlan,
  known: ReadonlyMap<string, string>,
  options: DispatchProcessesOptions,
): RepublishCandidate[] {
  const { journal, stats } = options;
  const candidates: RepublishCandidate[] = [];
  for (const { entry, jobs } of plan.planned) {
    // The jobs kept are moved to the front of the plan's list, which becomes the entry's: no list per event.
    let kept = 0;
    for (const job of jobs) {
      const state = known.get(job.run.id);
      if (state !== undefined && options.rerun) {
        journal.markReplaced(job.run.id);
        jobs[kept++] = job;
        continue;
      }
      if (state === 'succeeded') {
        entry.skipped.push(job.run.id);
        if (job.process.publish) candidates.push({ entry, id: job.run.id, eventId: job.run.eventId });
        continue;
      }
      // An unfinished earlier execution has a full record: this one must overwrite it, not the ledger.
      if (state !== undefined) journal.markWritten(job.run.id);
      jobs[kept++] = job;
    }
    jobs.length = kept;
    entry.jobs = jobs;
    if (stats) stats.skippedRuns += entry.skipped.length;
  }
  return candidates;
}
