import type { Clock } from '../clock.js';
import { FatalError } from '../errors/fatal-error.js';
import type { CloudEvent } from '../events/cloud-event.js';
import type { RunRecord } from '../model/run-record.js';
import type { Stats } from '../model/stats.js';
import type { ProcessDefinition, ProcessRegistry } from '../processes/process.js';
import { executeRun } from '../processes/process-executor.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { TaskMessage } from './task-message.js';

/** What a worker runs tasks with. */
export interface TaskExecution {
  readonly processes: ProcessRegistry;
  /** Recorded as the run's `worker`. */
  readonly worker: string;
  readonly clock: Clock;
  /** Aborts the running steps (the worker is terminated or its drain timed out). */
  readonly signal: AbortSignal;
  readonly stats: Stats;
  readonly telemetry: Telemetry;
}

/**
 * Runs a task's process on this worker with `executeRun`, from a fresh `pending` copy of the run it
 * carries (same id, group and origin). A process this worker's config does not define fails the run,
 * fatally, saying so. Rejects only when `signal` aborts.
 */
export async function executeTask(task: TaskMessage, execution: TaskExecution): Promise<RunRecord> {
  const { clock } = execution;
  const run: RunRecord = {
    ...task.run,
    state: 'pending',
    attempts: 0,
    steps: [],
    worker: execution.worker,
    updatedAt: clock.now(),
  };
  const process = execution.processes.get(task.process) ?? undefinedProcess(task.process);
  return executeRun(process, run, task.event, task.params, {
    clock,
    signal: execution.signal,
    stats: execution.stats,
    telemetry: execution.telemetry,
  });
}

/** A process this worker's config does not define: its one step fails the run as fatal, saying so. */
function undefinedProcess(name: string): ProcessDefinition<CloudEvent, unknown> {
  return {
    name,
    steps: [
      {
        name: 'resolve',
        run: () => {
          throw new FatalError(`process "${name}" is not defined in this worker's config`);
        },
      },
    ],
  };
}
