import { appended } from '../appended.js';
import type { Clock } from '../clock.js';
import { describeError } from '../errors/agentctl-error.js';
import { isFatalError } from '../errors/fatal-error.js';
import { TimeoutError } from '../errors/timeout-error.js';
import type { CloudEvent } from '../events/cloud-event.js';
import type { RunRecord, StepRecord } from '../model/run-record.js';
import type { Stats } from '../model/stats.js';
import { type Backoff, backoff } from '../retry/backoff.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../retry/retry-policy.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import { jsonProblem } from './json-problem.js';
import type { ProcessDefinition, StepContext, StepDefinition } from './process.js';

export interface ExecuteOptions {
  readonly clock: Clock;
  /** Aborts the run (shutdown): the current step's signal aborts and the run stays `running`. */
  readonly signal: AbortSignal;
  readonly telemetry?: Telemetry;
  readonly stats?: Stats;
  /** Called when the record changed in a way worth persisting (started waiting, finished). */
  readonly onChange?: (run: RunRecord) => void;
  readonly random?: () => number;
}

type Process = ProcessDefinition<CloudEvent, unknown>;
type Step = StepDefinition<CloudEvent, unknown>;

const NO_RESULTS: Readonly<Record<string, unknown>> = Object.freeze({});

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

function policyOf(process: Process, step: Step): RetryPolicy {
  return { ...DEFAULT_RETRY_POLICY, ...process.retry, ...step.retry };
}

/**
 * Executes a process's steps in order for one event, updating `run` in place: state, current step, every
 * attempt with its timing and error. A step that throws `FatalError` fails the run at once; any other
 * error is retried under the step's policy (step → process → default) and fails the run once retries
 * run out. Returns the finished record (`succeeded` or `failed`) — synchronously when every step returned
 * a plain value at its first try (the common case, kept free of promise overhead), otherwise as a promise.
 * The promise rejects only when `signal` aborts (the run is left `running`, to run again after redelivery).
 */
export function executeRun(
  process: Process,
  run: RunRecord,
  event: CloudEvent,
  params: unknown,
  options: ExecuteOptions,
): RunRecord | Promise<RunRecord> {
  return new Execution(process, run, event, params, options).start();
}

class Execution {
  /** The results of the steps so far, for the steps after them (none before a second step). */
  private results: Record<string, unknown> | undefined;
  private output: unknown;

  constructor(
    private readonly process: Process,
    private readonly run: RunRecord,
    private readonly event: CloudEvent,
    private readonly params: unknown,
    private readonly options: ExecuteOptions,
  ) {}

  start(): RunRecord | Promise<RunRecord> {
    const { run, process, options } = this;
    const now = options.clock.now();
    run.state = 'running';
    run.startedAt = now;
    run.updatedAt = now;
    if (run.steps.length === 0) {
      run.steps = process.steps.map(
        // The times set later are fields from the start (undefined), so that setting them moves nothing.
        (s): StepRecord => ({
          name: s.name,
          state: 'pending',
          attempts: 0,
          startedAt: undefined,
          finishedAt: undefined,
          history: [],
        }),
      );
    }
    if (options.stats) options.stats.runs.running++;
    if (options.telemetry?.has('run')) options.telemetry.emit('run', { run });
    return this.from(0, now);
  }

  /** Runs steps from `index` on, synchronously as long as they answer synchronously. */
  private from(index: number, now: number): RunRecord | Promise<RunRecord> {
    const steps = this.process.steps;
    for (let i = index; i < steps.length; i++) {
      const outcome = this.attempt(i, now, undefined);
      if (outcome === true) {
        now = this.run.updatedAt;
        continue;
      }
      if (outcome === false) return this.run;
      return outcome.then(() => (this.run.state === 'failed' ? this.run : this.continueAsync(i + 1)));
    }
    return this.succeed();
  }

  private async continueAsync(index: number): Promise<RunRecord> {
    const steps = this.process.steps;
    for (let i = index; i < steps.length; i++) {
      const outcome = this.attempt(i, this.options.clock.now(), undefined);
      if (outcome === false) return this.run;
      if (outcome !== true) await outcome;
      if (this.run.state === 'failed') return this.run;
    }
    return this.succeed();
  }

  /**
   * One try of step `i` and, on failure, its retries. Returns `true` when the step succeeded synchronously,
   * `false` when the run failed synchronously, or a promise that settles when the step is over (the run
   * is then `failed` or the step succeeded).
   */
  private attempt(i: number, startedAt: number, delay: Backoff | undefined): boolean | Promise<void> {
    const step = this.process.steps[i]!;
    const record = this.run.steps[i]!;
    const run = this.run;
    const attempt = record.attempts + 1;
    if (attempt === 1) {
      run.currentStep = step.name;
      record.state = 'running';
      record.startedAt = startedAt;
    }
    record.attempts = attempt;
    run.attempts++;
    if (this.options.stats) this.options.stats.stepAttempts++;
    let value: unknown;
    try {
      this.options.signal.throwIfAborted();
      value = this.invoke(step, i, attempt);
    } catch (error) {
      return this.failed(i, attempt, startedAt, error, delay);
    }
    if (!isThenable(value)) {
      this.succeeded(i, attempt, startedAt, value);
      return true;
    }
    return Promise.resolve(value).then(
      (result) => {
        this.succeeded(i, attempt, startedAt, result);
      },
      (error: unknown) => {
        const next = this.failed(i, attempt, startedAt, error, delay);
        if (typeof next === 'boolean') return;
        return next;
      },
    );
  }

  private invoke(step: Step, i: number, attempt: number): unknown {
    const { run, options } = this;
    const results = i === 0 ? NO_RESULTS : Object.freeze({ ...this.results });
    if (step.timeoutMs === undefined) {
      return step.run(new Context(this.event, this.params, results, run, attempt, options.signal));
    }
    return withTimeout(
      step,
      (signal: AbortSignal) => new Context(this.event, this.params, results, run, attempt, signal),
      options.signal,
      options.clock,
    );
  }

  private succeeded(i: number, attempt: number, startedAt: number, value: unknown): void {
    const step = this.process.steps[i]!;
    const record = this.run.steps[i]!;
    const now = this.options.clock.now();
    record.history = appended(record.history, { attempt, startedAt, durationMs: now - startedAt });
    record.state = 'succeeded';
    record.finishedAt = now;
    if (record.nextAttemptAt !== undefined) record.nextAttemptAt = undefined;
    if (i + 1 < this.process.steps.length) {
      this.results ??= {};
      this.results[step.name] = value;
    }
    this.output = value;
    this.run.updatedAt = now;
    const telemetry = this.options.telemetry;
    if (telemetry?.has('attempt')) {
      telemetry.emit('attempt', { kind: 'step', id: this.run.id, name: step.name, attempt, ok: true });
    }
  }

  /** Records a failed try; fails the run (returns false) or waits and retries (returns a promise). */
  private failed(i: number, attempt: number, startedAt: number, error: unknown, delay: Backoff | undefined) {
    const { run, options } = this;
    if (options.signal.aborted) throw error;
    const step = this.process.steps[i]!;
    const record = run.steps[i]!;
    const policy = policyOf(this.process, step);
    const wait = delay ?? backoff(policy, options.random);
    const now = options.clock.now();
    const fatal = isFatalError(error);
    const message = describeError(error);
    record.history = appended(record.history, {
      attempt,
      startedAt,
      durationMs: now - startedAt,
      error: message,
      ...(fatal ? { fatal } : {}),
    });
    record.error = message;
    run.updatedAt = now;
    const exhausted = fatal || attempt > policy.maxRetries;
    const nextAttemptAt = exhausted ? undefined : now + wait.delayMs;
    record.nextAttemptAt = nextAttemptAt;
    options.telemetry?.emit('attempt', {
      kind: 'step',
      id: run.id,
      name: step.name,
      attempt,
      ok: false,
      error: message,
      ...(nextAttemptAt === undefined ? {} : { nextAttemptAt }),
    });
    if (exhausted) {
      record.state = 'failed';
      record.finishedAt = now;
      this.finish('failed', { error: `step "${step.name}": ${message}`, fatal });
      return false;
    }
    options.onChange?.(run);
    if (options.stats) options.stats.stepRetries++;
    return options.clock.sleep(wait.delayMs, options.signal).then(
      () => {
        const next = this.attempt(i, options.clock.now(), wait.next());
        return typeof next === 'boolean' ? undefined : next;
      },
      (reason: unknown) => {
        if (options.stats) options.stats.runs.running--;
        throw reason;
      },
    );
  }

  /**
   * The last step's result becomes the run's output, which the journal stores and the publisher sends as
   * JSON: one that cannot be (see `jsonProblem`) fails the run here, fatally, naming the step and why,
   * rather than every flush of its batch later (which would crash the consumer and run the batch again).
   */
  private succeed(): RunRecord {
    const problem = jsonProblem(this.output);
    if (problem !== undefined) return this.unstorable(problem);
    this.run.output = this.output;
    return this.finish('succeeded');
  }

  private unstorable(problem: string): RunRecord {
    const record = this.run.steps[this.run.steps.length - 1]!;
    const message = `its result, the output of process "${this.process.name}", cannot be stored as JSON: ${problem}`;
    const last = record.history.pop();
    if (last !== undefined) record.history.push({ ...last, error: message, fatal: true });
    record.state = 'failed';
    record.error = message;
    return this.finish('failed', { error: `step "${record.name}": ${message}`, fatal: true });
  }

  private finish(state: 'succeeded' | 'failed', failure?: { error: string; fatal: boolean }): RunRecord {
    const { run, options } = this;
    run.state = state;
    run.finishedAt = run.updatedAt;
    // Assigned, not deleted: `delete` would turn every run record into a slow dictionary-mode object.
    run.currentStep = undefined;
    if (failure) {
      run.error = failure.error;
      run.fatal = failure.fatal;
    }
    if (options.stats) {
      options.stats.runs.running--;
      options.stats.runs[state]++;
    }
    if (options.telemetry?.has('run')) options.telemetry.emit('run', { run });
    options.onChange?.(run);
    return run;
  }
}

/** The argument of a step, as a class so that building one per attempt is a single allocation. */
class Context implements StepContext {
  readonly run: StepContext['run'];

  constructor(
    readonly event: CloudEvent,
    readonly params: unknown,
    readonly results: Readonly<Record<string, unknown>>,
    run: RunRecord,
    readonly attempt: number,
    readonly signal: AbortSignal,
  ) {
    this.run = { id: run.id, rule: run.rule, process: run.process };
  }
}

/** The reason a step's own signal aborts with once the step is over (ends its timer; a constant, cheap). */
const STEP_FINISHED: Error = new Error('step finished');

function withTimeout(
  step: Step,
  context: (signal: AbortSignal) => StepContext,
  parent: AbortSignal,
  clock: Clock,
): Promise<unknown> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(parent.reason);
  parent.addEventListener('abort', onAbort, { once: true });
  const timeout = new TimeoutError(`step "${step.name}" took longer than ${step.timeoutMs} ms`);
  const timer = clock.sleep(step.timeoutMs!, controller.signal).then(
    () => {
      controller.abort(timeout);
      throw timeout;
    },
    () => undefined,
  );
  const work = Promise.resolve()
    .then(() => step.run(context(controller.signal)))
    .finally(() => {
      parent.removeEventListener('abort', onAbort);
      if (!controller.signal.aborted) controller.abort(STEP_FINISHED);
    });
  return Promise.race([work, timer]);
}
