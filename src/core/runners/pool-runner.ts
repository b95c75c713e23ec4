import type { RunRecord } from '../model/run-record.js';
import { executeRun } from '../processes/process-executor.js';
import type { RunJob, Runner, RunnerContext } from './runner.js';

/**
 * Runs processes concurrently in this process, at most `concurrency` at once; further jobs queue in
 * arrival order. The dispatcher keeps up to `concurrency` events in flight, and a message is done when
 * all of its runs are.
 */
export class PoolRunner implements Runner {
  readonly kind = 'pool';
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly onChange: (run: RunRecord) => void;

  constructor(
    private readonly context: RunnerContext,
    readonly concurrency: number,
  ) {
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(`pool concurrency must be a positive integer, got ${concurrency}`);
    }
    this.onChange = (run) => context.journal.recordRun(run);
  }

  get inFlight(): number {
    return this.running;
  }

  async execute(job: RunJob, signal: AbortSignal): Promise<RunRecord> {
    await this.acquire(signal);
    try {
      return await executeRun(job.process, job.run, job.event, job.params, {
        clock: this.context.clock,
        signal,
        onChange: this.onChange,
        ...(this.context.telemetry ? { telemetry: this.context.telemetry } : {}),
        ...(this.context.stats ? { stats: this.context.stats } : {}),
      });
    } finally {
      this.release();
    }
  }

  async close(): Promise<void> {}

  private acquire(signal: AbortSignal): Promise<void> {
    if (this.running < this.concurrency) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const grant = () => {
        signal.removeEventListener('abort', onAbort);
        this.running++;
        resolve();
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(grant);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(grant);
    });
  }

  private release(): void {
    this.running--;
    this.waiting.shift()?.();
  }
}
