import type { CloudEvent } from '../events/cloud-event.js';
import type { RunRecord } from '../model/run-record.js';
import type { Stats } from '../model/stats.js';
import type { ProcessRegistry } from '../processes/process.js';
import type { PublishRecord } from '../publish/publisher.js';
import type { RunJob, Runner } from '../runners/runner.js';
import type { Journal, JournalHold } from '../store/journal.js';
import type { EffortStore, RunStore } from '../store/state-store.js';
import type { Message } from '../types.js';
import type { Evaluation } from './evaluate-rules.js';
import { publishRecordsOf } from './publish-records.js';

/**
 * What the dispatch step (`DispatchProcesses`) takes, keeps per event and forwards; shared by its parts:
 * the lookup of earlier runs (dispatch-lookup.ts) and the re-publish of kept records (dispatch-republish.ts).
 */

/** What dispatching an event did: the runs executed now, those skipped as already done, what to publish. */
export interface Dispatch {
  readonly event: CloudEvent;
  /** Runs executed now, in rule order: `succeeded` or `failed` (or `pending` when handed to a queue). */
  readonly runs: readonly RunRecord[];
  /** Ids of runs that had already succeeded (redelivery or replay) and were not executed again. */
  readonly skipped: readonly string[];
  readonly records: readonly PublishRecord[];
}

export interface DispatchProcessesOptions {
  readonly runner: Runner;
  readonly processes: ProcessRegistry;
  /** Where earlier sessions' runs are looked up, once per poll for all new events. */
  readonly runs: Pick<RunStore, 'lookup'> & Partial<Pick<RunStore, 'get'>>;
  /**
   * Where delivered publishes are looked up. With it (and `runs.get`), a redelivered event whose run
   * succeeded but whose record was never delivered (a crash between the two) has the record published
   * again from the stored output. Without it, skipped runs publish nothing.
   */
  readonly efforts?: Pick<EffortStore, 'list'>;
  readonly journal: Journal;
  /** The agent (consumer group) owning the runs. */
  readonly group: string;
  /** The source id, recorded as each run's origin. */
  readonly source: string;
  readonly now: () => number;
  readonly signal: AbortSignal;
  readonly stats?: Stats;
  /** This agent's id, recorded as the worker of local runs. */
  readonly worker?: string;
  /**
   * Execute runs again even when they succeeded before (`replay --rerun`): each such run's new record
   * replaces the earlier one in the store.
   */
  readonly rerun?: boolean;
  /** False: forward each event once its runs finished, not after the events before it (default true). */
  readonly ordered?: boolean;
  /** Events accepted before `submit` rejects (default: max(1024, 4 × runner concurrency)). */
  readonly maxPending?: number;
}

/** One event in the dispatch step's queue. */
export interface DispatchEntry {
  readonly message: Message<Evaluation>;
  /** The runs to execute, once the lookup of earlier runs settled; undefined until then. */
  jobs: RunJob[] | undefined;
  skipped: string[];
  /** Skipped runs whose published record never got through: their output is published again. */
  republish: RunRecord[];
  runs: RunRecord[];
  done: boolean;
  error?: unknown;
  /** The hold of the store lookup this entry's jobs were planned from, released once they all ran. */
  hold?: JournalHold;
}

/** Where a run of `message` came from: recorded with the run and with its published records. */
export function originOf(source: string, message: Message<unknown>) {
  return { source, partition: message.partition, position: message.position };
}

/** What a finished event forwards: its runs, the records of those that succeeded, those kept. */
export function dispatchOf(entry: DispatchEntry, options: DispatchProcessesOptions): Dispatch {
  const event = entry.message.payload.event;
  const origin = originOf(options.source, entry.message);
  const records = publishRecordsOf(entry.runs, event, options.processes, origin);
  if (entry.republish.length > 0)
    records.push(...publishRecordsOf(entry.republish, event, options.processes, origin));
  return { event, runs: entry.runs, skipped: entry.skipped, records };
}
