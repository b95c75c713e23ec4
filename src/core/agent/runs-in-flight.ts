import type { RunRecord } from '../model/run-record.js';
import type { ProcessRegistry } from '../processes/process.js';
import type { RunInFlight } from '../telemetry/stall.js';
import type { Telemetry } from '../telemetry/telemetry.js';

/** At most this many runs in flight go into a status snapshot (the oldest). */
const SHOWN = 50;

/**
 * The runs executing now in this agent, learnt from the `run` events of its runners (a run record is
 * updated in place as it goes, so its step and attempts are current when read). The store does not show
 * them while they run — the journal writes a run when a commit flushes it — so the status snapshot
 * carries them: a separate `status` process sees the run and step a stalled partition waits on.
 *
 * The run started last is kept apart (`last`), and enters the map only when another starts before it
 * ends: an inline run starts and ends before the next one, so the map is not touched per run. A map that
 * empties at every run rehashes its table at every delete, and once the map is old that new table is
 * allocated in the old generation: ~150 bytes of old garbage per run, about a fifth of what the `local`
 * bench promoted.
 */
export class RunsInFlight {
  /** Runs in flight other than `last`, by id (never `last`'s id). */
  private readonly running = new Map<string, RunRecord>();
  private last: RunRecord | undefined;

  constructor(
    telemetry: Telemetry,
    private readonly processes: ProcessRegistry,
  ) {
    telemetry.on('run', ({ run }) => {
      if (run.state === 'running') this.started(run);
      else this.ended(run.id);
    });
  }

  private started(run: RunRecord): void {
    const last = this.last;
    if (last !== undefined && last.id !== run.id) this.running.set(last.id, last);
    if (this.running.size !== 0) this.running.delete(run.id);
    this.last = run;
  }

  private ended(id: string): void {
    if (this.last !== undefined && this.last.id === id) this.last = undefined;
    else if (this.running.size !== 0) this.running.delete(id);
  }

  /** The oldest runs in flight (at most 50), as a status snapshot shows them. */
  list(): RunInFlight[] {
    const all = [...this.running.values()];
    if (this.last !== undefined) all.push(this.last);
    const oldest = all
      .sort((a, b) => (a.startedAt ?? a.createdAt) - (b.startedAt ?? b.createdAt))
      .slice(0, SHOWN);
    return oldest.map((run) => this.inFlight(run));
  }

  private inFlight(run: RunRecord): RunInFlight {
    const index = run.steps.findIndex((s) => s.name === run.currentStep);
    const step = run.steps[index];
    const last = step?.history[step.history.length - 1];
    // The current attempt started after the last one ended (or, waiting for a retry, once it is due).
    const since =
      step?.nextAttemptAt ?? (last === undefined ? step?.startedAt : last.startedAt + last.durationMs);
    const timeoutMs = this.processes.get(run.process)?.steps[index]?.timeoutMs;
    return {
      id: run.id,
      process: run.process,
      rule: run.rule,
      ...(run.currentStep === undefined ? {} : { step: run.currentStep }),
      stepAttempts: step?.attempts ?? 0,
      attempts: run.attempts,
      startedAt: run.startedAt ?? run.createdAt,
      ...(since === undefined ? {} : { stepSince: since }),
      ...(timeoutMs === undefined ? {} : { stepTimeoutMs: timeoutMs }),
      ...(run.origin === undefined
        ? {}
        : { source: run.origin.source, partition: run.origin.partition, position: run.origin.position }),
    };
  }
}
