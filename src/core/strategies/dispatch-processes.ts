import { describeError } from '../errors/agentctl-error.js';
import type { CloudEvent } from '../events/cloud-event.js';
import { runIdOf } from '../model/run-id.js';
import type { RunRecord } from '../model/run-record.js';
import type { Stats } from '../model/stats.js';
import type { ProcessRegistry } from '../processes/process.js';
import type { PublishRecord } from '../publish/publisher.js';
import type { RunJob, Runner } from '../runners/runner.js';
import type { Journal, JournalHold } from '../store/journal.js';
import type { EffortStore, RunStore } from '../store/state-store.js';
import { type Message, withPayload } from '../types.js';
import type { Evaluation } from './evaluate-rules.js';
import { InOrderStrategy } from './in-order-strategy.js';
import { InvalidMessage, MessageRejected, type ProcessingStrategy } from './processing-strategy.js';
import { PublishSpecError, publishRecordsOf } from './publish-records.js';

/** What dispatching an event did: the runs executed now, those skipped as already done, what to publish. */
export interface Dispatch {
  readonly event: CloudEvent;
  /** Runs executed now, in rule order: `succeeded` or `failed` (or `pending` when handed to a queue). */
  readonly runs: readonly RunRecord[];
  /** Ids of runs that had already succeeded (redelivery or replay) and were not executed again. */
  readonly skipped: readonly string[];
  readonly records: readonly PublishRecord[];
}

export interface DispatchProcessesOptions {
  readonly runner: Runner;
  readonly processes: ProcessRegistry;
  /** Where earlier sessions' runs are looked up, once per poll for all new events. */
  readonly runs: Pick<RunStore, 'lookup'> & Partial<Pick<RunStore, 'get'>>;
  /**
   * Where delivered publishes are looked up. With it (and `runs.get`), a redelivered event whose run
   * succeeded but whose record was never delivered (a crash between the two) has the record published
   * again from the stored output. Without it, skipped runs publish nothing.
   */
  readonly efforts?: Pick<EffortStore, 'list'>;
  readonly journal: Journal;
  /** The agent (consumer group) owning the runs. */
  readonly group: string;
  /** The source id, recorded as each run's origin. */
  readonly source: string;
  readonly now: () => number;
  readonly signal: AbortSignal;
  readonly stats?: Stats;
  /** This agent's id, recorded as the worker of local runs. */
  readonly worker?: string;
  /**
   * Execute runs again even when they succeeded before (`replay --rerun`): each such run's new record
   * replaces the earlier one in the store.
   */
  readonly rerun?: boolean;
  /** False: forward each event once its runs finished, not after the events before it (default true). */
  readonly ordered?: boolean;
  /** Events accepted before `submit` rejects (default: max(1024, 4 × runner concurrency)). */
  readonly maxPending?: number;
}

interface Entry {
  readonly message: Message<Evaluation>;
  jobs: RunJob[] | undefined;
  skipped: string[];
  /** Skipped runs whose published record never got through: their output is published again. */
  republish: RunRecord[];
  runs: RunRecord[];
  done: boolean;
  error?: unknown;
  /** The hold of the store lookup this entry's jobs were planned from, released once they all ran. */
  hold?: JournalHold;
}

/**
 * Starts the processes that rules matched, on the runner, and forwards a `Dispatch` per event once all
 * of its runs finished (in submission order, unless `ordered` is false). Runs of one event execute one after the other, in rule
 * order; events execute concurrently up to the runner's concurrency. A run whose id already succeeded
 * (in the store or the unflushed journal) is skipped: this makes effects idempotent under redelivery.
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
 */
export class DispatchProcesses extends InOrderStrategy<Evaluation, Entry, Dispatch> {
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
  protected forward(entry: Entry): void {
    let dispatch: Dispatch;
    try {
      dispatch = this.dispatchOf(entry);
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

  /** What a finished event forwards: its runs, and the records of those that succeeded. */
  private dispatchOf(entry: Entry): Dispatch {
    const event = entry.message.payload.event;
    const origin = this.origin(entry.message);
    return {
      event,
      runs: entry.runs,
      skipped: entry.skipped,
      records: [
        ...publishRecordsOf(entry.runs, event, this.options.processes, origin),
        ...publishRecordsOf(entry.republish, event, this.options.processes, origin),
      ],
    };
  }

  private origin(message: Message<unknown>) {
    return { source: this.options.source, partition: message.partition, position: message.position };
  }

  private startLookup(): void {
    const from = this.checked;
    const to = this.queue.end;
    const ids: string[] = [];
    const eventIds: string[] = [];
    const { journal, group, now, runner, worker } = this.options;
    const planned: { entry: Entry; jobs: RunJob[] }[] = [];
    for (let i = from; i < to; i++) {
      const entry = this.queue.at(i)!;
      const { event, matches } = entry.message.payload;
      const jobs: RunJob[] = [];
      for (const match of matches) {
        const id = runIdOf(group, event, match.rule);
        if (journal.hasSucceeded(id)) {
          entry.skipped.push(id);
          continue;
        }
        const process = this.options.processes.require(match.process);
        const createdAt = now();
        const run: RunRecord = {
          id,
          group,
          eventId: event.id,
          eventType: event.type,
          rule: match.rule,
          process: match.process,
          state: 'pending',
          attempts: 0,
          steps: [],
          createdAt,
          updatedAt: createdAt,
          runner: runner.kind,
          origin: this.origin(entry.message),
          ...(worker === undefined ? {} : { worker }),
        };
        jobs.push({ run, process, event, params: match.params });
        ids.push(id);
        eventIds.push(run.eventId);
      }
      planned.push({ entry, jobs });
    }
    const hold = journal.hold(planned.length);
    for (const { entry } of planned) entry.hold = hold;
    const candidates: { entry: Entry; id: string; eventId: string }[] = [];
    const settle = (known: ReadonlyMap<string, string>) => {
      if (this.abandoned) return;
      for (const { entry, jobs } of planned) {
        entry.jobs = [];
        for (const job of jobs) {
          const state = known.get(job.run.id);
          if (state !== undefined && this.options.rerun) {
            journal.markReplaced(job.run.id);
            entry.jobs.push(job);
            continue;
          }
          if (state === 'succeeded') {
            entry.skipped.push(job.run.id);
            if (job.process.publish) candidates.push({ entry, id: job.run.id, eventId: job.run.eventId });
            continue;
          }
          // An unfinished earlier execution has a full record: this one must overwrite it, not the ledger.
          if (state !== undefined) journal.markWritten(job.run.id);
          entry.jobs.push(job);
        }
        if (this.options.stats) this.options.stats.skippedRuns += entry.skipped.length;
      }
      if (
        candidates.length > 0 &&
        this.options.efforts !== undefined &&
        this.options.runs.get !== undefined
      ) {
        this.lookup = this.findUndelivered(candidates).then(finish, fail);
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
    if (ids.length === 0) {
      settle(new Map());
      return;
    }
    this.lookup = this.options.runs.lookup(ids, eventIds).then(settle, (error: unknown) => {
      if (this.abandoned) return;
      this.lookup = undefined;
      this.lookupError = error;
      this.progress.notify();
    });
  }

  /** The skipped runs among `candidates` with no delivered publish effort: their records go out again. */
  private async findUndelivered(
    candidates: readonly { entry: Entry; id: string; eventId: string }[],
  ): Promise<void> {
    const runs = this.options.runs;
    const efforts = this.options.efforts!;
    for (const { entry, id, eventId } of candidates) {
      const delivered = await efforts.list({ runId: id, culmination: 'delivered', limit: 1 });
      if (delivered.length > 0) continue;
      const run = await runs.get!(id, eventId);
      if (run?.state === 'succeeded') entry.republish.push(run);
    }
  }

  private startEntry(entry: Entry): void {
    const jobs = entry.jobs ?? [];
    this.running++;
    this.runFrom(entry, jobs, 0);
  }

  /**
   * Runs the jobs of one event in order; stays synchronous while the runner answers synchronously. Each
   * job is admitted by the journal first: skipped when its run succeeded meanwhile, delayed while a copy
   * of it executes.
   */
  private runFrom(entry: Entry, jobs: readonly RunJob[], from: number): void {
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
        journal.finished(id);
        this.settle(entry, error);
        return;
      }
      if (result instanceof Promise) {
        result.then(
          (run) => {
            journal.finished(id);
            entry.runs.push(run);
            this.runFrom(entry, jobs, k + 1);
          },
          (error: unknown) => {
            journal.finished(id);
            this.settle(entry, error);
          },
        );
        return;
      }
      journal.finished(id);
      entry.runs.push(result);
    }
    this.settle(entry);
  }

  private settle(entry: Entry, error?: unknown): void {
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
