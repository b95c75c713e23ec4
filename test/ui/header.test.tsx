import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import type { ConsoleAgent } from '../../src/core/console/data.js';
import { Header } from '../../src/ui/console/components/Header.js';
import { agent, NOW } from './console-fixtures.js';

describe('Header', () => {
  it('shows each agent’s state and for how long, uptime, throughput with a sparkline, error rate and source', () => {
    const { lastFrame } = render(
      <Header
        agents={[agent(), agent({ id: 'orders@host-2#7', alive: false, state: 'OFFLINE', throughput: [] })]}
        store={{ kind: 'postgres', location: 'postgres://agentctl:s3cret@db/agents' }}
        group="orders"
        takenAt={NOW}
        refreshMs={1_000}
        paused
        readonly
        maxAgents={3}
      />,
    );
    const [title, first, second] = (lastFrame() ?? '').split('\n');
    expect(title).toMatch(
      /agentctl PAUSED\s+READ-ONLY\s+postgres postgres:\/\/\*\*\*@db\/agents\s+·\s+group orders\s+·\s+every 1/,
    );
    expect(first).toMatch(
      /● orders@host-1#4242\s+ACTIVE 1m1s\s+up 1h2m\s+1234\/s ▁▃▆█\s+errors 2\.1%\s+amqp:\/\/\*\*\*@mq/,
    );
    expect(second).toMatch(/○ orders@host-2#7\s+OFFLINE/);
    expect(lastFrame()).not.toContain('s3cret');
    expect(lastFrame()).not.toContain('ops-token');
  });

  it('shows what the agent read and parked, and its load', () => {
    const { lastFrame } = render(
      <Header
        agents={[agent({ id: 'a@h#1', state: 'STEADY', source: 'local:', throughput: [] })]}
        store={undefined}
        takenAt={NOW}
        refreshMs={1_000}
        paused={false}
        readonly={false}
        maxAgents={1}
      />,
    );
    expect(lastFrame()).toMatch(/local:\s+read 150,000\s+parked 321\s+in flight 12/);
  });

  it('counts the agents it has no room for', () => {
    const agents = [1, 2, 3, 4, 5].map((n) => agent({ id: `orders@h#${n}` }));
    const { lastFrame } = render(
      <Header
        agents={agents}
        store={undefined}
        takenAt={NOW}
        refreshMs={500}
        paused={false}
        readonly={false}
        maxAgents={3}
      />,
    );
    expect(lastFrame()).toContain('+2 more agents');
    expect(lastFrame()).toContain('all groups');
  });

  it('says how often it really refreshes: the interval, the slower pace of an unchanged screen, and a stretch for a slow store', () => {
    const header = (refreshMs: number) =>
      render(
        <Header
          agents={[]}
          store={undefined}
          takenAt={NOW}
          refreshMs={refreshMs}
          askedMs={1_000}
          idleMs={5_000}
          paused={false}
          readonly={false}
          maxAgents={1}
        />,
      ).lastFrame() ?? '';
    expect(header(1_000)).toMatch(/·\s+every 1\.0s, 5\.0s when idle\s+·/);
    expect(header(3_000)).toMatch(/·\s+every 3\.0s \(slow store; asked 1\.0s\), 5\.0s when idle\s+·/);
    expect(header(6_000)).toMatch(/·\s+every 6\.0s \(slow store; asked 1\.0s\)\s+·/);
  });
  it('counts agents that ended more than an hour ago on one line instead of listing them', () => {
    const ended = (n: number, agoMs: number) =>
      agent({ id: `orders@old#${n}`, alive: false, state: 'SHUTDOWN', heartbeatAt: NOW - agoMs });
    const header = (agents: ConsoleAgent[]) =>
      (
        render(
          <Header
            agents={agents}
            store={undefined}
            takenAt={NOW}
            refreshMs={1_000}
            paused={false}
            readonly={false}
            maxAgents={3}
          />,
        ).lastFrame() ?? ''
      ).split('\n');
    const live = [1, 2, 3, 4, 5].map((n) => agent({ id: `orders@h#${n}` }));
    expect(header([...live.slice(0, 1), ended(1, 59 * 60_000), ended(2, 61 * 60_000)]).slice(1)).toEqual([
      expect.stringMatching(/^● orders@h#1 /),
      expect.stringMatching(/^○ orders@old#1 +SHUTDOWN/),
      '1 agent ended more than an hour ago',
    ]);
    const many = [...live, ...[1, 2, 3].map((n) => ended(n, 2 * 86_400_000))];
    expect(header(many).at(-1)).toBe('+2 more agents  ·  3 agents ended more than an hour ago');
    expect(header(many)).toHaveLength(5);
    expect(header([ended(1, 86_400_000), ended(2, 86_400_000)]).slice(1)).toEqual([
      'no agent running  ·  2 agents ended more than an hour ago',
    ]);
  });
});
