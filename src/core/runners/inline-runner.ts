import { executeRun } from '../processes/process-executor.js';
import type { RunRecord } from '../processes/run-record.js';
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

  async execute(job: RunJob, signal: AbortSignal): Promise<RunRecord> {
    this.running++;
    try {
      return await executeRun(job.process, job.run, job.event, job.params, {
        clock: this.context.clock,
        signal,
        onChange: this.onChange,
        ...(this.context.telemetry ? { telemetry: this.context.telemetry } : {}),
        ...(this.context.stats ? { stats: this.context.stats } : {}),
      });
    } finally {
      this.running--;
    }
  }

  async close(): Promise<void> {}
}
