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
 */
export class RunsInFlight {
  private readonly running = new Map<string, RunRecord>();

  constructor(
    telemetry: Telemetry,
    private readonly processes: ProcessRegistry,
  ) {
    telemetry.on('run', ({ run }) => {
      if (run.state === 'running') this.running.set(run.id, run);
      else this.running.delete(run.id);
    });
  }

  /** The oldest runs in flight (at most 50), as a status snapshot shows them. */
  list(): RunInFlight[] {
    const oldest = [...this.running.values()]
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
