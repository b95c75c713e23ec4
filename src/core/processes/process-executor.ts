import type { Clock } from '../clock.js';
import { describeError } from '../errors/agentctl-error.js';
import { isFatalError } from '../errors/fatal-error.js';
import { TimeoutError } from '../errors/timeout-error.js';
import type { CloudEvent } from '../events/cloud-event.js';
import { backoff } from '../retry/backoff.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../retry/retry-policy.js';
import type { Stats } from '../telemetry/stats.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { ProcessDefinition, StepContext, StepDefinition } from './process.js';
import type { RunRecord, StepRecord } from './run-record.js';

export interface ExecuteOptions {
  readonly clock: Clock;
  /** Aborts the run (shutdown): the current step's signal aborts and the run stays `running`. */
  readonly signal: AbortSignal;
  readonly telemetry?: Telemetry;
  readonly stats?: Stats;
  /** Called whenever the record changed (the journal records it). */
  readonly onChange?: (run: RunRecord) => void;
  readonly random?: () => number;
}

const NO_RESULTS: Readonly<Record<string, unknown>> = Object.freeze({});

function policyOf(
  process: ProcessDefinition<CloudEvent, unknown>,
  step: StepDefinition<CloudEvent, unknown>,
) {
  return { ...DEFAULT_RETRY_POLICY, ...process.retry, ...step.retry } satisfies RetryPolicy;
}

function invokeWithTimeout(
  step: StepDefinition<CloudEvent, unknown>,
  context: Omit<StepContext, 'signal'>,
  parent: AbortSignal,
  clock: Clock,
): unknown {
  if (step.timeoutMs === undefined) return step.run({ ...context, signal: parent });
  const controller = new AbortController();
  const onAbort = () => controller.abort(parent.reason);
  parent.addEventListener('abort', onAbort, { once: true });
  const timeout = new TimeoutError(`step "${step.name}" took longer than ${step.timeoutMs} ms`);
  const timer = clock.sleep(step.timeoutMs, controller.signal).then(
    () => {
      controller.abort(timeout);
      throw timeout;
    },
    () => undefined,
  );
  const work = Promise.resolve()
    .then(() => step.run({ ...context, signal: controller.signal }))
    .finally(() => {
      parent.removeEventListener('abort', onAbort);
      if (!controller.signal.aborted) controller.abort();
    });
  return Promise.race([work, timer]);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

/**
 * Runs a process's steps in order for one event, updating `run` in place: state, current step, every
 * attempt with its timing and error. A step that throws `FatalError` fails the run at once; any other
 * error is retried under the step's policy and fails the run once retries run out. Resolves with the
 * finished record (`succeeded` or `failed`); rejects only when `signal` aborts (the run is left
 * `running`, to be re-run after redelivery).
 */
export async function executeRun(
  process: ProcessDefinition<CloudEvent, unknown>,
  run: RunRecord,
  event: CloudEvent,
  params: unknown,
  options: ExecuteOptions,
): Promise<RunRecord> {
  const { clock, signal, telemetry, stats, onChange } = options;
  const results: Record<string, unknown> = {};
  run.state = 'running';
  run.startedAt = clock.now();
  run.updatedAt = run.startedAt;
  if (run.steps.length === 0) {
    run.steps = process.steps.map(
      (s): StepRecord => ({ name: s.name, state: 'pending', attempts: 0, history: [] }),
    );
  }
  if (stats) {
    stats.runs.running++;
  }
  telemetry?.emit('run', { run });
  onChange?.(run);
  let output: unknown;
  try {
    for (let i = 0; i < process.steps.length; i++) {
      const step = process.steps[i]!;
      const record = run.steps[i]!;
      const policy = policyOf(process, step);
      let delay = backoff(policy, options.random);
      const earlier: Readonly<Record<string, unknown>> = i === 0 ? NO_RESULTS : Object.freeze({ ...results });
      run.currentStep = step.name;
      record.state = 'running';
      record.startedAt = clock.now();
      for (;;) {
        signal.throwIfAborted();
        const attempt = record.attempts + 1;
        const startedAt = clock.now();
        record.attempts = attempt;
        run.attempts++;
        if (stats) stats.stepAttempts++;
        try {
          const context = {
            event,
            params,
            results: earlier,
            run: { id: run.id, rule: run.rule, process: run.process },
            attempt,
          };
          const value = invokeWithTimeout(step, context, signal, clock);
          output = isThenable(value) ? await value : value;
          const now = clock.now();
          record.history.push({ attempt, startedAt, durationMs: now - startedAt });
          record.state = 'succeeded';
          record.finishedAt = now;
          delete record.nextAttemptAt;
          results[step.name] = output;
          if (telemetry?.has('attempt')) {
            telemetry.emit('attempt', { kind: 'step', id: run.id, name: step.name, attempt, ok: true });
          }
          break;
        } catch (error) {
          if (signal.aborted) throw error;
          const now = clock.now();
          const fatal = isFatalError(error);
          const message = describeError(error);
          record.history.push({
            attempt,
            startedAt,
            durationMs: now - startedAt,
            error: message,
            ...(fatal ? { fatal } : {}),
          });
          record.error = message;
          const exhausted = fatal || attempt > policy.maxRetries;
          const nextAttemptAt = exhausted ? undefined : now + delay.delayMs;
          if (nextAttemptAt === undefined) delete record.nextAttemptAt;
          else record.nextAttemptAt = nextAttemptAt;
          run.updatedAt = now;
          telemetry?.emit('attempt', {
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
            return finish(run, 'failed', options, { error: `step "${step.name}": ${message}`, fatal });
          }
          onChange?.(run);
          if (stats) stats.stepRetries++;
          await clock.sleep(delay.delayMs, signal);
          delay = delay.next();
        }
      }
    }
  } catch (error) {
    if (stats) stats.runs.running--;
    throw error;
  }
  run.output = output;
  return finish(run, 'succeeded', options);
}

function finish(
  run: RunRecord,
  state: 'succeeded' | 'failed',
  { clock, telemetry, stats, onChange }: ExecuteOptions,
  failure?: { error: string; fatal: boolean },
): RunRecord {
  run.state = state;
  run.finishedAt = clock.now();
  run.updatedAt = run.finishedAt;
  delete run.currentStep;
  if (failure) {
    run.error = failure.error;
    run.fatal = failure.fatal;
  }
  if (stats) {
    stats.runs.running--;
    stats.runs[state]++;
  }
  telemetry?.emit('run', { run });
  onChange?.(run);
  return run;
}
