import type { ConsoleAgent } from '../../core/console/data.js';
import { plural } from '../text/format.js';

/** An agent whose last heartbeat is older than this, and that is not alive, is counted instead of listed. */
export const ENDED_LONG_AGO_MS = 60 * 60_000;
const ENDED_LONG_AGO = 'an hour';

/** The agents the header lists one per line, and what its last line says of the others. */
export interface HeaderAgents {
  /** One line each, alive first (as the feed orders them). */
  readonly listed: readonly ConsoleAgent[];
  /** The line under them (agents it had no room for, agents that ended long ago), if any. */
  readonly more?: string;
}

/**
 * The header's agent lines: up to `max` agents, then one line for the rest, where agents that ended more
 * than an hour ago are only counted (a store keeps every agent that ever ran; old ones would push the
 * live ones off screen). With no agent left to list, the count stands alone on one line.
 */
export function headerAgents(agents: readonly ConsoleAgent[], now: number, max: number): HeaderAgents {
  const longEnded = (a: ConsoleAgent) => !a.alive && now - a.heartbeatAt > ENDED_LONG_AGO_MS;
  const recent = agents.filter((a) => !longEnded(a));
  const ended = agents.length - recent.length;
  const listed = recent.slice(0, Math.max(1, max));
  const hidden = recent.length - listed.length;
  const parts = [
    ...(recent.length === 0 && ended > 0 ? ['no agent running'] : []),
    ...(hidden > 0 ? [`+${plural(hidden, 'more agent')}`] : []),
    ...(ended > 0 ? [`${plural(ended, 'agent')} ended more than ${ENDED_LONG_AGO} ago`] : []),
  ];
  return { listed, ...(parts.length === 0 ? {} : { more: parts.join('  ·  ') }) };
}

/** Lines the agents take in the header (at least one: a notice when there is no agent). */
export function agentLines(agents: HeaderAgents): number {
  return Math.max(1, agents.listed.length + (agents.more === undefined ? 0 : 1));
}
