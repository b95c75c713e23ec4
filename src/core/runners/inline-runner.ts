import type { RunRecord } from '../model/run-record.js';
import { executeRun } from '../processes/process-executor.js';
import type { RunJob, Runner, RunnerContext } from './runner.js';

/** Runs processes in the consumer loop, one event at a time, in order. */
export class InlineRunner implements Runner {
  readonly kind = 'inline';
  readonly concurrency = 1;
  private running = 0;
  private readonly onChange: (run: RunRecord) => void;

  constructor(private readonly context: RunnerContext) {
    this.onChange = (run) => context.journal.recordRun(run);
  }

  get inFlight(): number {
    return this.running;
  }

  execute(job: RunJob, signal: AbortSignal): RunRecord | Promise<RunRecord> {
    const { clock, telemetry, stats } = this.context;
    const result = executeRun(job.process, job.run, job.event, job.params, {
      clock,
      signal,
      onChange: this.onChange,
      ...(telemetry ? { telemetry } : {}),
      ...(stats ? { stats } : {}),
    });
    if (!(result instanceof Promise)) return result;
    this.running++;
    return result.finally(() => {
      this.running--;
    });
  }

  async close(): Promise<void> {}
}
