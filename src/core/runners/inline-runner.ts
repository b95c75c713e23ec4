import type { RunRecord } from '../model/run-record.js';
import { type ExecuteOptions, executeRun } from '../processes/process-executor.js';
import type { RunJob, Runner, RunnerContext } from './runner.js';

/** Runs processes in the consumer loop, one event at a time, in order. */
export class InlineRunner implements Runner {
  readonly kind = 'inline';
  readonly concurrency = 1;
  private running = 0;
  private readonly onChange: (run: RunRecord) => void;
  private options: ExecuteOptions | undefined;

  constructor(private readonly context: RunnerContext) {
    this.onChange = (run) => context.journal.recordRun(run);
  }

  get inFlight(): number {
    return this.running;
  }

  execute(job: RunJob, signal: AbortSignal): RunRecord | Promise<RunRecord> {
    const result = executeRun(job.process, job.run, job.event, job.params, this.optionsFor(signal));
    if (!(result instanceof Promise)) return result;
    this.running++;
    return result.finally(() => {
      this.running--;
    });
  }

  /**
   * The executor's options for runs under `signal`. The signal is the same for every run of a pipeline, so
   * the options are built once per signal rather than once per run (an object and two spreads per event).
   */
  private optionsFor(signal: AbortSignal): ExecuteOptions {
    if (this.options?.signal === signal) return this.options;
    const { clock, telemetry, stats } = this.context;
    this.options = {
      clock,
      signal,
      onChange: this.onChange,
      ...(telemetry ? { telemetry } : {}),
      ...(stats ? { stats } : {}),
    };
    return this.options;
  }

  async close(): Promise<void> {}
}
