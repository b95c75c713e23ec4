import type { Clock } from '../clock.js';
import type { CloudEvent } from '../events/cloud-event.js';
import type { RunRecord } from '../model/run-record.js';
import type { Stats } from '../model/stats.js';
import type { ProcessDefinition } from '../processes/process.js';
import type { Journal } from '../store/journal.js';
import type { Telemetry } from '../telemetry/telemetry.js';

/** One run to execute: the record (state `pending`), its process, and the event with the rule's params. */
export interface RunJob {
  readonly run: RunRecord;
  readonly process: ProcessDefinition<CloudEvent, unknown>;
  readonly event: CloudEvent;
  readonly params: unknown;
}

/** What every runner is built with. */
export interface RunnerContext {
  readonly clock: Clock;
  readonly journal: Journal;
  readonly telemetry?: Telemetry;
  readonly stats?: Stats;
}

/**
 * Where process runs execute. The dispatcher hands a runner one job per (event, matching rule) and treats
 * the source message as done once `execute` resolved for all of its jobs.
 *
 * - `InlineRunner`: in the consumer loop, one event at a time (simple, ordered, for tests).
 * - `PoolRunner`: concurrently in-process, at most `concurrency` runs at once.
 * - `QueueRunner` (AMQP): hands the run to a task queue; resolves once the broker confirmed the task,
 *   with the run still `pending` — remote workers report the outcome later.
 */
export interface Runner {
  readonly kind: string;
  /** How many events the dispatcher may keep in flight. */
  readonly concurrency: number;
  /** Runs currently executing (or awaiting broker confirmation). */
  readonly inFlight: number;
  /**
   * Executes the job, recording the run through the journal as it changes. Returns the record
   * (`succeeded`/`failed` for local runners) — directly when the run finished synchronously, else as a
   * promise that rejects only when `signal` aborts.
   */
  execute(job: RunJob, signal: AbortSignal): RunRecord | Promise<RunRecord>;
  /**
   * Optional: connects ahead of the first run. The agent calls it when it starts, without waiting, so a
   * queue runner records the results of runs an earlier session dispatched even while this session has
   * nothing to dispatch. A failure here is not fatal: the first `execute` starts the runner again.
   */
  start?(signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}
