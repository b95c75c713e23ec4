import { type Clock, systemClock } from '../clock.js';
import { NotFoundError } from '../errors/not-found-error.js';
import { TimeoutError } from '../errors/timeout-error.js';
import { UsageError } from '../errors/usage-error.js';
import type { ProcessingStateName } from '../state/processing-state.js';
import type { AgentRecord, ControlRequest } from '../store/records.js';
import type { StateStore } from '../store/state-store.js';

/** Agent states in which there is nothing left to drain. */
const STOPPED: ReadonlySet<ProcessingStateName> = new Set(['SHUTDOWN', 'ERROR']);

/** How recent a heartbeat must be, by default, for an agent to count as running. */
export const DEFAULT_ALIVE_WITHIN_MS = 10_000;

export interface DrainOptions {
  /** The agent to drain (`NAME@HOST#PID`); default: the only running agent of `group`. */
  readonly agentId?: string;
  /** Where to look for the agent when no id is given (default: every group). */
  readonly group?: string;
  /** How long to wait for the agent to finish. */
  readonly timeoutMs: number;
  /** How often the request is checked while waiting. */
  readonly pollMs: number;
  /** How recent a heartbeat must be for an agent to count as running (default 10 s). */
  readonly aliveWithinMs?: number;
  readonly clock?: Clock;
  readonly signal?: AbortSignal;
  /** Awaited once the agent is chosen, before it is asked; throw to stop (a confirmation). */
  readonly approve?: (agent: AgentRecord) => Promise<void>;
  /** Told once the request is made, before the wait (for progress output). */
  readonly onRequested?: (agent: AgentRecord, request: ControlRequest) => void;
}

export interface DrainResult {
  readonly agent: {
    readonly id: string;
    readonly group: string;
    readonly host: string;
    readonly pid: number;
  };
  readonly request: number;
  readonly waitedMs: number;
  /** What the agent reported when it stopped: its run summary (read, processed, parked, commits, …). */
  readonly result: Readonly<Record<string, unknown>>;
}

/**
 * The agent did not finish draining in time. Nothing is cancelled: the request stays, and the agent may
 * still pick it up or finish it.
 */
export class DrainTimeoutError extends TimeoutError {
  override readonly userFacing = true;

  constructor(
    readonly request: ControlRequest,
    message: string,
  ) {
    super(message, {
      hint: 'check the agent with `agentctl status`, or run drain again with a longer --timeout',
    });
  }
}

/**
 * Asks a running agent to drain — stop taking work, finish what is in flight, commit, exit — through a
 * `drain` control request in the store, and waits until the agent reports it done.
 * @throws NotFoundError when no such agent is running.
 * @throws UsageError when several agents could be meant, or the agent refused the request.
 * @throws DrainTimeoutError when the agent has not finished within `timeoutMs`.
 */
export async function drainAgent(store: StateStore, options: DrainOptions): Promise<DrainResult> {
  const clock = options.clock ?? systemClock;
  const agent = await pickAgent(store, options);
  await options.approve?.(agent);
  const request = await store.control.request(agent.id, 'drain', { by: 'agentctl drain' });
  options.onRequested?.(agent, request);
  const started = clock.now();
  for (;;) {
    const current = await store.control.get(request.id);
    if (current === undefined)
      throw new NotFoundError(`drain request #${request.id} disappeared from the store`);
    const waitedMs = clock.now() - started;
    if (current.status === 'done') {
      return {
        agent: { id: agent.id, group: agent.group, host: agent.host, pid: agent.pid },
        request: request.id,
        waitedMs,
        result: current.result ?? {},
      };
    }
    if (current.status === 'failed') {
      const reason = current.result?.error;
      throw new UsageError(
        `agent ${agent.id} refused to drain: ${typeof reason === 'string' ? reason : 'no reason given'}`,
        { hint: 'stop it with SIGTERM (it drains on that signal too)' },
      );
    }
    if (waitedMs >= options.timeoutMs) throw await timedOut(store, agent, current, options.timeoutMs, clock);
    await clock.sleep(Math.min(options.pollMs, options.timeoutMs - waitedMs), options.signal);
  }
}

/** The agent named, or the only running one of the group. */
async function pickAgent(store: StateStore, options: DrainOptions): Promise<AgentRecord> {
  const aliveWithinMs = options.aliveWithinMs ?? DEFAULT_ALIVE_WITHIN_MS;
  if (options.agentId !== undefined) {
    const agent = await store.agents.get(options.agentId);
    if (agent === undefined) {
      throw new NotFoundError(`no agent "${options.agentId}" in ${store.location}`, {
        hint: 'agent ids look like NAME@HOST#PID; `agentctl status` lists them',
      });
    }
    const running = (await store.agents.list({ group: agent.group, aliveWithinMs })).some(
      (a) => a.id === agent.id,
    );
    if (!running || STOPPED.has(agent.state)) {
      throw new NotFoundError(
        `agent ${agent.id} is not running (${agent.state}, no heartbeat in the last ${aliveWithinMs / 1000}s)`,
        {
          hint: 'there is nothing to drain; `agentctl status` lists running agents',
        },
      );
    }
    return agent;
  }
  const group = options.group;
  const live = (await store.agents.list({ ...(group === undefined ? {} : { group }), aliveWithinMs })).filter(
    (a) => !STOPPED.has(a.state),
  );
  const of = group === undefined ? '' : ` of "${group}"`;
  if (live.length === 0) {
    throw new NotFoundError(`no running agent${of} in ${store.location}`, {
      hint: 'start one with `agentctl consume`, or point --config/--db at the store the agent uses',
    });
  }
  if (live.length > 1) {
    throw new UsageError(`${live.length} agents${of} are running: ${live.map((a) => a.id).join(', ')}`, {
      hint: `choose one with --agent, e.g. --agent '${live[0]!.id}'`,
    });
  }
  return live[0]!;
}

async function timedOut(
  store: StateStore,
  agent: AgentRecord,
  request: ControlRequest,
  timeoutMs: number,
  clock: Clock,
): Promise<DrainTimeoutError> {
  const latest = await store.agents.get(agent.id);
  const seen =
    latest === undefined
      ? ''
      : `, ${latest.state}, last heartbeat ${Math.round((clock.now() - latest.heartbeatAt) / 1000)}s ago`;
  const where =
    request.status === 'pending'
      ? 'the agent has not picked the request up yet'
      : 'the agent accepted it and is still finishing work in flight';
  return new DrainTimeoutError(
    request,
    `agent ${agent.id} has not finished draining within ${timeoutMs / 1000}s (${where}${seen}); request #${request.id} stays ${request.status} and the agent may still act on it`,
  );
}
