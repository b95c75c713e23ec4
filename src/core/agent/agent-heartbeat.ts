import { hostname } from 'node:os';
import type { Clock } from '../clock.js';
import { describeError } from '../errors/agentctl-error.js';
import type { Source } from '../sources/source.js';
import type { ProcessingState } from '../state/processing-state.js';
import type { StateStore } from '../store/state-store.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import { VERSION } from '../version.js';
import type { AgentReporter, AgentSummary } from './agent-report.js';

export interface HeartbeatLoopOptions {
  readonly id: string;
  /** The agent's name, also its group. */
  readonly name: string;
  readonly store: StateStore;
  readonly source: Source;
  readonly state: ProcessingState;
  readonly reporter: AgentReporter;
  readonly clock: Clock;
  readonly telemetry: Telemetry;
  readonly startedAt: number;
  /** How often the snapshot is written and control requests are read (default 1 s). */
  readonly everyMs?: number;
  /** Called when another process asks this agent to drain. */
  readonly requestDrain: () => void;
}

/**
 * The agent's heartbeat: every `everyMs` it writes the agent's record with a status snapshot to the
 * store, and answers control requests from other processes — `drain` is accepted (and marked done with
 * the run's summary by `answerDrains`), any other kind is failed as not supported. A beat that fails is
 * a warning; the next one tries again.
 */
export class HeartbeatLoop {
  private readonly drainRequests: number[] = [];

  constructor(private readonly options: HeartbeatLoopOptions) {}

  /** Beats until `signal` is aborted. */
  async run(signal: AbortSignal): Promise<void> {
    const { clock, telemetry } = this.options;
    const every = this.options.everyMs ?? 1_000;
    while (!signal.aborted) {
      try {
        await this.beat();
        await this.handleControl();
      } catch (error) {
        telemetry.emit('warning', { message: `heartbeat failed: ${describeError(error)}`, error });
      }
      try {
        await clock.sleep(every, signal);
      } catch {
        return;
      }
    }
  }

  /** Writes the agent's record and a fresh snapshot now. */
  async beat(): Promise<void> {
    const { id, name, store, source, state, reporter, startedAt } = this.options;
    reporter.sample();
    const snapshot = await reporter.snapshot();
    await store.agents.heartbeat({
      id,
      name,
      group: name,
      host: hostname(),
      pid: process.pid,
      source: source.id,
      state: state.value,
      startedAt,
      version: VERSION,
      snapshot,
    });
  }

  /** Marks the drain requests this agent accepted as done, with the run's summary. */
  async answerDrains(result: AgentSummary): Promise<void> {
    for (const id of this.drainRequests.splice(0)) {
      await this.options.store.control.update(id, 'done', { ...result }).catch(() => undefined);
    }
  }

  private async handleControl(): Promise<void> {
    const control = this.options.store.control;
    for (const request of await control.pending(this.options.id)) {
      if (request.kind === 'drain') {
        await control.update(request.id, 'accepted');
        this.drainRequests.push(request.id);
        this.options.requestDrain();
      } else {
        await control.update(request.id, 'failed', {
          error: `"${request.kind}" is not supported by this agent`,
        });
      }
    }
  }
}
