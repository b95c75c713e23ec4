import type { ProcessingStateName } from '../../state/processing-state.js';
import type { StateStore } from '../../store/state-store.js';
import type { Tally } from './copy-kinds.js';

/**
 * Copies agents, as records of what ran, and their control requests. The port stamps a heartbeat with
 * the target's clock, so an agent that was not stopped is recorded `SHUTDOWN`: otherwise it would look
 * alive, and lease balancing and `drain` would count it until its heartbeat aged. A control request
 * (kind, arguments, status, result; times are those of the copy) is known by agent, kind and arguments.
 */

/** Agent states that read nothing: copied agents are recorded in one of them. */
const STOPPED: ReadonlySet<ProcessingStateName> = new Set(['SHUTDOWN', 'ERROR']);

export async function copyAgents(from: StateStore, to: StateStore, tally: Tally): Promise<void> {
  for (const agent of [...(await from.agents.list())].reverse()) {
    if ((await to.agents.get(agent.id)) !== undefined) {
      tally('agents', 0, 1);
      continue;
    }
    const { heartbeatAt: _, ...heartbeat } = agent;
    await to.agents.heartbeat({ ...heartbeat, state: STOPPED.has(agent.state) ? agent.state : 'SHUTDOWN' });
    tally('agents', 1, 0);
  }
}

export async function copyControl(from: StateStore, to: StateStore, tally: Tally): Promise<void> {
  const signature = (r: { agentId: string; kind: string; args: unknown }) =>
    JSON.stringify([r.agentId, r.kind, r.args]);
  const unmatched = new Map<string, { id: number; status: string }[]>();
  for (const request of await to.control.list()) {
    const key = signature(request);
    unmatched.set(key, [...(unmatched.get(key) ?? []), { id: request.id, status: request.status }]);
  }
  for (const request of await from.control.list()) {
    const match = unmatched.get(signature(request))?.shift();
    if (match !== undefined && (match.status !== 'pending' || request.status === 'pending')) {
      tally('control', 0, 1);
      continue;
    }
    const id = match?.id ?? (await to.control.request(request.agentId, request.kind, request.args)).id;
    if (request.status !== 'pending') await to.control.update(id, request.status, request.result);
    tally('control', 1, 0);
  }
}
