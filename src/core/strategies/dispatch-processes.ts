import { appended } from '../appended.js';
import { describeError } from '../errors/agentctl-error.js';
import type { RunRecord } from '../model/run-record.js';
import type { RunJob } from '../runners/runner.js';
import { type Message, withPayload } from '../types.js';
import { type Dispatch, type DispatchEntry, type DispatchProcessesOptions, dispatchOf } from './dispatch.js';
import { applyKnownRuns, planRuns } from './dispatch-lookup.js';
import { canRepublish, findUndelivered } from './dispatch-republish.js';
import type { Evaluation } from './evaluate-rules.js';
import { InOrderStrategy } from './in-order-strategy.js';
import { InvalidMessage, MessageRejected, type ProcessingStrategy } from './processing-strategy.js';
import { PublishSpecError } from './publish-records.js';

export type { Dispatch, DispatchProcessesOptions } from './dispatch.js';

/**
 * Starts the processes that rules matched, on the runner, and forwards a `Dispatch` per event once all
 * of its runs finished (in submission order, unless `ordered` is false). Runs of one event execute one
 * after the other, in rule order; events execute concurrently up to the runner's concurrency. A run
 * whose id already succeeded (in the store or the unflushed journal) is skipped: this makes effects
 * idempotent under redelivery.
 * Right before each run executes, the journal is asked again (`Journal.admit`): a run that succeeded since
 * the lookup is skipped, and a copy of a run executing now (the same event twice in a batch, or redelivered
 * while its first delivery still runs) waits for it and is then skipped if it succeeded.
 * An event with a failed run is forwarded like the others, so that the records of its succeeded runs
 * are published; `ParkFailedRuns` parks it further down. A redelivered run whose record never got out
 * (no delivered effort) has it published again from the stored output.
 *
 * `poll()` returns a promise while the oldest event's work must be awaited: always for an inline runner
 * (concurrency 1: the consumer loop runs the work), and for other runners when `maxPending` events are
 * queued. A `join` that times out abandons the work under way (steps' signals abort; the events are not
 * done, so they are redelivered) and still closes and joins the next step.
 *
 * Parts: the lookup of earlier runs (dispatch-lookup.ts), the re-publish of kept records
 * (dispatch-republish.ts), the shared types (dispatch.ts); this file keeps the queue and executes runs.
 */
export class DispatchProcesses extends InOrderStrategy<Evaluation, DispatchEntry, Dispatch> {
  /** Queue position up to which runs were looked up (their `jobs` are known). */
  private checked = 0;
  /** Queue position up to which runs were started. */
  private started = 0;
  private running = 0;
  private lookup: Promise<void> | undefined;
  private lookupError: unknown;
  /** Terminated, or a join timed out: late lookups and runs are ignored. */
  private abandoned = false;
  private readonly controller = new AbortController();
  private readonly maxPending: number;
  private readonly inline: boolean;

  constructor(
    private readonly options: DispatchProcessesOptions,
    next: ProcessingStrategy<Dispatch>,
  ) {
    super(next, options.ordered ?? true);
    this.maxPending = options.maxPending ?? Math.max(1024, options.runner.concurrency * 4);
    this.inline = options.runner.concurrency === 1;
    options.signal.addEventListener('abort', () => this.controller.abort(options.signal.reason), {
      once: true,
    });
  }

  submit(message: Message<Evaluation>): void {
    if (this.closed) throw new Error('DispatchProcesses is closed');
    if (this.queue.size >= this.maxPending) throw new MessageRejected();
    this.queue.push({ message, jobs: undefined, skipped: [], republish: [], runs: [], done: false });
  }

  /** @throws InvalidMessage (reason `publish`) when a process's `publish` option fails for a run. */
  protected forward(entry: DispatchEntry): void {
    let dispatch: Dispatch;
    try {
      dispatch = dispatchOf(entry, this.options);
    } catch (error) {
      if (!(error instanceof PublishSpecError)) throw error;
      const { run } = error;
      throw new InvalidMessage(entry.message, 'publish', {
        rule: run.rule,
        process: run.process,
        runId: run.id,
        cause: error,
      });
    }
    this.next.submit(withPayload(entry.message, dispatch));
  }

  /** An inline runner's work runs in the caller's loop, which must wait for it. */
  protected mustWait(): boolean {
    return this.inline || this.queue.size >= this.maxPending;
  }

  protected now(): number {
    return this.options.now();
  }

  /** Aborts the runs under way and drops every queued event (not done: it is redelivered). */
  protected abandon(reason: unknown): void {
    this.abandoned = true;
    this.controller.abort(reason);
    for (const entry of this.queue.unforwarded()) {
      // Released here once: a run still settling later must not release its hold a second time.
      entry.hold?.done();
      entry.hold = undefined;
    }
    this.queue.clear();
    this.checked = this.started = this.queue.end;
  }

  /** Forwards finished events, starts lookups and runs; repeats while runs finish synchronously. */
  protected override step(): void {
    if (this.lookupError !== undefined) {
      const error = this.lookupError;
      this.lookupError = undefined;
      throw error;
    }
    const concurrency = this.options.runner.concurrency;
    for (;;) {
      this.queue.forwardReady();
      if (this.lookup === undefined && this.checked < this.queue.end) this.startLookup();
      if (this.started >= this.checked || this.running >= concurrency) return;
      while (this.started < this.checked && this.running < concurrency)
        this.startEntry(this.queue.at(this.started++)!);
    }
  }

  /**
   * Looks up the earlier runs of the events queued since the last lookup (one store query for all of
   * them), then, where a skipped run's record may not have gone out, its efforts. Synchronous when no
   * run needs the store.
   */
  private startLookup(): void {
    const from = this.checked;
    const to = this.queue.end;
    const { journal } = this.options;
    const entries: DispatchEntry[] = [];
    for (let i = from; i < to; i++) entries.push(this.queue.at(i)!);
    const plan = planRuns(entries, this.options);
    const hold = journal.hold(plan.planned.length);
    for (const { entry } of plan.planned) entry.hold = hold;
    const settle = (known: ReadonlyMap<string, string>) => {
      if (this.abandoned) return;
      const candidates = applyKnownRuns(plan, known, this.options);
      if (candidates.length > 0 && canRepublish(this.options)) {
        this.lookup = findUndelivered(candidates, this.options).then(finish, fail);
        return;
      }
      finish();
    };
    const finish = () => {
      if (this.abandoned) return;
      this.checked = Math.max(this.checked, to);
      this.lookup = undefined;
      this.progress.notify();
    };
    const fail = (error: unknown) => {
      this.lookup = undefined;
      this.lookupError = error;
      this.progress.notify();
    };
    if (plan.ids.length === 0) {
      settle(new Map());
      return;
    }
    this.lookup = this.options.runs.lookup(plan.ids, plan.eventIds).then(settle, (error: unknown) => {
      if (this.abandoned) return;
      fail(error);
    });
  }

  private startEntry(entry: DispatchEntry): void {
    const jobs = entry.jobs ?? [];
    this.running++;
    this.runFrom(entry, jobs, 0);
  }

  /**
   * Runs the jobs of one event in order; stays synchronous while the runner answers synchronously. Each
   * job is admitted by the journal first: skipped when its run succeeded meanwhile, delayed while a copy
   * of it executes. Only a run the runner answers with a promise is marked executing in the journal.
   */
  private runFrom(entry: DispatchEntry, jobs: readonly RunJob[], from: number): void {
    const { journal, runner, stats } = this.options;
    for (let k = from; k < jobs.length; k++) {
      const id = jobs[k]!.run.id;
      const admission = journal.admit(id);
      if (admission === 'skip') {
        entry.skipped.push(id);
        if (stats) stats.skippedRuns++;
        continue;
      }
      if (admission !== 'run') {
        admission.then(() => {
          if (!this.abandoned) this.runFrom(entry, jobs, k);
        });
        return;
      }
      let result: RunRecord | Promise<RunRecord>;
      try {
        result = runner.execute(jobs[k]!, this.controller.signal);
      } catch (error) {
        this.settle(entry, error);
        return;
      }
      if (result instanceof Promise) {
        journal.executing(id);
        result.then(
          (run) => {
            journal.finished(id);
            entry.runs = appended(entry.runs, run);
            this.runFrom(entry, jobs, k + 1);
          },
          (error: unknown) => {
            journal.finished(id);
            this.settle(entry, error);
          },
        );
        return;
      }
      entry.runs = appended(entry.runs, result);
    }
    this.settle(entry);
  }

  private settle(entry: DispatchEntry, error?: unknown): void {
    if (error !== undefined) {
      entry.error = this.controller.signal.aborted
        ? error
        : new Error(`runner failed: ${describeError(error)}`, { cause: error });
    }
    entry.done = true;
    entry.hold?.done();
    entry.hold = undefined;
    this.running--;
    this.progress.notify();
  }
}
