import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { ProcessesPane, type ProcessesPaneProps } from '../../src/ui/console/components/ProcessesPane.js';
import { line, NOW, run, sampleView } from './console-fixtures.js';

describe('ProcessesPane', () => {
  const view = sampleView();

  /** Renders the pane with the props of most tests, overridden by `props`. */
  const renderProcessesPane = (props: Partial<ProcessesPaneProps>) =>
    render(
      <ProcessesPane
        {...{
          counts: view.runs.byProcess,
          runs: view.runs.recent,
          selected: undefined,
          cursor: { index: 0, top: 0 },
          filter: '',
          focused: true,
          height: 20,
          width: 150,
          now: NOW,
          ...props,
        }}
      />,
    );

  it('counts runs by state for each process type', () => {
    const { lastFrame } = renderProcessesPane({});
    expect(lastFrame()).toMatch(/PROCESS\s+PENDING\s+RUNNING\s+SUCCEEDED\s+FAILED/);
    expect(line(lastFrame(), /^ {2}score /)).toMatch(/score\s+0\s+3\s+148,000\s+321/);
    expect(line(lastFrame(), /^ {2}ship /)).toMatch(/ship\s+0\s+0\s+9,000\s+0/);
  });

  it('lists recent runs with state and current step, and the selected run’s steps with attempts and timings', () => {
    const selected = run('r1', {
      state: 'running',
      currentStep: 'score',
      steps: [
        {
          name: 'fetch',
          state: 'succeeded',
          attempts: 1,
          startedAt: NOW - 9_000,
          finishedAt: NOW - 8_750,
          history: [],
        },
        {
          name: 'score',
          state: 'running',
          attempts: 2,
          startedAt: NOW - 8_750,
          error: 'timeout after 2s',
          nextAttemptAt: NOW + 4_000,
          history: [],
        },
      ],
    });
    const { lastFrame } = renderProcessesPane({ selected });
    expect(line(lastFrame(), /^› r1 /)).toMatch(
      /r1\s+score\s+score-order\s+running\s+score\s+2\s+order\.created evt-r1/,
    );
    expect(line(lastFrame(), /^ {2}r3 /)).toMatch(/failed.*boom/);
    expect(lastFrame()).toContain(
      'steps of r1  ·  score  ·  rule score-order  ·  order.created evt-r1  ·  running',
    );
    expect(line(lastFrame(), /^ {2}fetch /)).toMatch(/fetch\s+succeeded\s+1\s+9\.0s ago\s+250ms/);
    expect(line(lastFrame(), /^ {2}score\s+running/)).toMatch(
      /score\s+running\s+2\s+8\.8s ago\s+8\.8s\s+in 4\.0s\s+timeout after 2s/,
    );
    expect((lastFrame() ?? '').split('\n')).toHaveLength(20);
  });
});
