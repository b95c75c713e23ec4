import type { RunRecord } from '../model/run-record.js';
import type { WhereSubject } from './where.js';

/** A run as `--where` sees it: the record, and its event when the command has read it. */
export interface RunWhereItem {
  readonly run: RunRecord;
  /** The run's event (a parsed CloudEvent), when it was read; `null` for `event` otherwise. */
  readonly event?: unknown;
}

/**
 * The `--where` variables of a process run (`runs list`): the run's own fields by name, where its event
 * was read as `meta`, and the event itself as `event` (read only when the expression names it).
 */
export const runWhere: WhereSubject<RunWhereItem> = {
  noun: 'a run',
  variables: {
    event: 'the run’s event (a CloudEvent; null when it is not stored)',
    meta: 'where the event was read: source, partition, position (null fields when unknown)',
    id: 'the run id',
    state: 'pending, running, succeeded or failed',
    rule: 'the rule that started the run',
    process: 'the process',
    group: 'the consumer group (agent) that owns the run',
    eventId: 'the event id',
    eventType: 'the event type',
    attempts: 'step attempts made, over all steps',
    error: 'the run’s error (null when none)',
    fatal: 'whether the failure was permanent (FatalError)',
    step: 'the current step, or the step that failed (null when none)',
    runner: 'inline, pool or queue',
    worker: 'the worker or agent that ran it (null when unknown)',
    createdAt: 'when the run was created, ms since the epoch',
    startedAt: 'when it started, ms (null when not yet)',
    finishedAt: 'when it finished, ms (null when not yet)',
    updatedAt: 'when it last changed, ms',
    durationMs: 'finished − started, ms (null while unfinished)',
  },
  bind({ run, event }) {
    return {
      event: event ?? null,
      meta: {
        source: run.origin?.source ?? null,
        partition: run.origin?.partition ?? null,
        position: run.origin?.position ?? null,
      },
      id: run.id,
      state: run.state,
      rule: run.rule,
      process: run.process,
      group: run.group,
      eventId: run.eventId,
      eventType: run.eventType,
      attempts: run.attempts,
      error: run.error ?? null,
      fatal: run.fatal === true,
      step: stepOfRun(run) ?? null,
      runner: run.runner,
      worker: run.worker ?? null,
      createdAt: run.createdAt,
      startedAt: run.startedAt ?? null,
      finishedAt: run.finishedAt ?? null,
      updatedAt: run.updatedAt,
      durationMs: durationOfRun(run) ?? null,
    };
  },
};

/** Whether an expression reads the `event` variable (so that a command reads each run's event for it). */
export function readsEvent(expression: string): boolean {
  return /(^|[^\w.])event\b/.test(expression);
}

/** The step a run is at: its current step, else the step that failed, else none. */
export function stepOfRun(run: RunRecord): string | undefined {
  return run.currentStep ?? run.steps.find((s) => s.state === 'failed')?.name;
}

/** How long a finished run took (finished − started), or undefined while it is unfinished. */
export function durationOfRun(run: RunRecord): number | undefined {
  if (run.finishedAt === undefined) return undefined;
  return run.finishedAt - (run.startedAt ?? run.createdAt);
}
