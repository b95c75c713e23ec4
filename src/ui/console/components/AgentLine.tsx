import { Text } from 'ink';
import type { ConsoleAgent } from '../../../core/console/data.js';
import { redactSecrets } from '../../../core/redact.js';
import { compact, count, duration, sparkline } from '../../text/format.js';
import { stateColor } from '../console-format.js';

export type AgentLineProps = {
  /** The agent to show. */
  readonly agent: ConsoleAgent;
  /** When the data was read (ages and uptimes are counted to it). */
  readonly now: number;
};

const SPARK = 20;

/** One agent: state and for how long, uptime, throughput with its sparkline, error rate, load, source. */
export function AgentLine({ agent, now }: AgentLineProps) {
  const since = agent.stateSince === undefined ? '' : ` ${duration(now - agent.stateSince)}`;
  const runner =
    agent.runner === undefined
      ? ''
      : `  ${agent.runner.kind} ${agent.runner.inFlight}/${agent.runner.concurrency}`;
  const errors = agent.errorRate === undefined ? '' : `${(agent.errorRate * 100).toFixed(1)}%`;
  return (
    <Text wrap="truncate">
      <Text color={agent.alive ? 'green' : 'gray'}>{agent.alive ? '● ' : '○ '}</Text>
      <Text bold>{agent.id}</Text>
      {'  '}
      <Text color={stateColor(agent.state)}>{agent.state}</Text>
      {`${since}  up ${duration(agent.upMs)}  `}
      <Text bold>{`${compact(agent.perSecond)}/s`}</Text>
      {` ${sparkline(agent.throughput.slice(-SPARK))}  `}
      <Text
        color={agent.errorRate !== undefined && agent.errorRate > 0 ? 'red' : undefined}
      >{`errors ${errors || '-'}`}</Text>
      {`  ${redactSecrets(agent.source)}  read ${count(agent.counters?.read)}  parked ${count(agent.counters?.parked)}  in flight ${count(agent.inFlight)}${runner}`}
    </Text>
  );
}
