import type { RunRecord } from '../model/run-record.js';
import type { RunJob, Runner } from './runner.js';

/** What a `GatedRunner` asks and tells its keeper. */
export interface RunGate {
  /** Why no new run may start, or undefined while runs may. */
  refusal(): Error | undefined;
  /** A run it started finished (succeeded or failed; a queue runner's stays pending). */
  finished(run: RunRecord): void;
}

/**
 * A runner that can be shut to new runs while those it already started go on: once the gate's
 * `refusal()` is an error, `execute` throws it instead of starting the job. It tells the gate of every
 * run that finished, and counts those under way so that `settled` can wait for them. The consumer's
 * poison guard keeps it: a storm stops within its limit plus the runs in flight, which are recorded
 * rather than abandoned.
 */
export class GatedRunner implements Runner {
  private active = 0;
  private readonly idle: (() => void)[] = [];

  constructor(
    private readonly inner: Runner,
    private readonly gate: RunGate,
  ) {}

  get kind(): string {
    return this.inner.kind;
  }

  get concurrency(): number {
    return this.inner.concurrency;
  }

  get inFlight(): number {
    return this.inner.inFlight;
  }

  /** @throws the gate's refusal once it is shut; the job is not started. */
  execute(job: RunJob, signal: AbortSignal): RunRecord | Promise<RunRecord> {
    const refused = this.gate.refusal();
    if (refused !== undefined) throw refused;
    const result = this.inner.execute(job, signal);
    if (!(result instanceof Promise)) {
      this.gate.finished(result);
      return result;
    }
    this.active++;
    return result.then(
      (run) => {
        this.gate.finished(run);
        this.settle();
        return run;
      },
      (error: unknown) => {
        this.settle();
        throw error;
      },
    );
  }

  /** Resolves once every run started through this gate has finished. */
  settled(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.idle.push(resolve));
  }

  start(signal?: AbortSignal): Promise<void> {
    return this.inner.start?.(signal) ?? Promise.resolve();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private settle(): void {
    if (--this.active === 0) for (const wake of this.idle.splice(0)) wake();
  }
}
