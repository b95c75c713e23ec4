import { Box, Text } from 'ink';
import type { ConsoleAgent } from '../../../core/console/data.js';
import { redactSecrets } from '../../../core/redact.js';
import { duration } from '../../text/format.js';
import { headerAgents } from '../header-agents.js';
import { AgentLine } from './AgentLine.js';

export type HeaderProps = {
  /** The agents of the store (alive first). */
  readonly agents: readonly ConsoleAgent[];
  /** The state store, as the feed names it (credentials redacted). */
  readonly store: { readonly kind: string; readonly location: string } | undefined;
  /** The agent group shown (absent: every group). */
  readonly group?: string;
  /** When the data on screen was read. */
  readonly takenAt: number | undefined;
  /** Milliseconds between loads, as they really happen. */
  readonly refreshMs: number;
  /** The interval asked for (`--refresh`), when a slow store stretched `refreshMs` beyond it. */
  readonly askedMs?: number;
  /** An unchanged view is redrawn only this often (ms): the clock then moves at this pace. */
  readonly idleMs?: number;
  /** Live updates are paused (`p`). */
  readonly paused: boolean;
  /** Actions are disabled (`--readonly`). */
  readonly readonly: boolean;
  /** The context in use; a production one is shown in a red banner. */
  readonly context?: { readonly name: string; readonly production: boolean };
  /** Agent lines shown at most (the rest, and agents that ended long ago, are counted on one line). */
  readonly maxAgents: number;
};

/**
 * The agents and their ProcessingState, uptime, throughput with a sparkline, error rate and source; agents
 * that ended long ago are only counted (see `headerAgents`).
 */
export function Header({
  agents,
  store,
  group,
  takenAt,
  refreshMs,
  askedMs,
  idleMs,
  paused,
  readonly,
  context,
  maxAgents,
}: HeaderProps) {
  const { listed, more } = headerAgents(agents, takenAt ?? 0, maxAgents);
  const clock = takenAt === undefined ? 'loading…' : new Date(takenAt).toISOString().slice(11, 19);
  const where = store === undefined ? '' : `${store.kind} ${redactSecrets(store.location)}`;
  const pace = [
    `every ${duration(refreshMs)}`,
    ...(askedMs !== undefined && refreshMs > askedMs ? [` (slow store; asked ${duration(askedMs)})`] : []),
    ...(idleMs !== undefined && idleMs > refreshMs ? [`, ${duration(idleMs)} when idle`] : []),
  ].join('');
  return (
    <Box flexDirection="column">
      <Text wrap="truncate">
        <Text bold color="cyan">
          agentctl
        </Text>
        {paused ? <Text inverse> PAUSED </Text> : null}
        {context?.production ? (
          <Text backgroundColor="red" color="white" bold>{` PRODUCTION: ${context.name} `}</Text>
        ) : context !== undefined ? (
          <Text color="cyan">{` context ${context.name}`}</Text>
        ) : null}
        {readonly ? <Text color="yellow"> READ-ONLY</Text> : null}
        {`  ${where}  ·  ${group === undefined ? 'all groups' : `group ${group}`}  ·  ${pace}  ·  ${clock}`}
      </Text>
      {listed.length === 0 && more === undefined ? (
        <Text dimColor wrap="truncate">
          no agent has run against this store yet (start one with agentctl consume)
        </Text>
      ) : (
        listed.map((agent) => <AgentLine key={agent.id} agent={agent} now={takenAt ?? agent.heartbeatAt} />)
      )}
      {more === undefined ? null : (
        <Text dimColor wrap="truncate">
          {more}
        </Text>
      )}
    </Box>
  );
}
