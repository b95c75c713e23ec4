import { Box, Text } from 'ink';
import type { ConsoleAgent } from '../../../core/console/data.js';
import { redactSecrets } from '../../../core/redact.js';
import { duration } from '../../text/format.js';
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
  /** Agent lines shown at most (the rest are counted). */
  readonly maxAgents: number;
};

/** The agents and their ProcessingState, uptime, throughput with a sparkline, error rate and source. */
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
  maxAgents,
}: HeaderProps) {
  const shown = agents.slice(0, maxAgents);
  const hidden = agents.length - shown.length;
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
        {readonly ? <Text color="yellow"> READ-ONLY</Text> : null}
        {`  ${where}  ·  ${group === undefined ? 'all groups' : `group ${group}`}  ·  ${pace}  ·  ${clock}`}
      </Text>
      {shown.length === 0 ? (
        <Text dimColor wrap="truncate">
          no agent has run against this store yet (start one with agentctl consume)
        </Text>
      ) : (
        shown.map((agent) => <AgentLine key={agent.id} agent={agent} now={takenAt ?? agent.heartbeatAt} />)
      )}
      {hidden > 0 ? (
        <Text dimColor wrap="truncate">{`+${hidden} more agent${hidden === 1 ? '' : 's'}`}</Text>
      ) : null}
    </Box>
  );
}
