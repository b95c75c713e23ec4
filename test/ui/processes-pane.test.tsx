import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { ProcessesPane } from '../../src/ui/console/ProcessesPane.js';
import { NOW, run, sampleView } from './console-fixtures.js';

const line = (frame: string | undefined, pattern: RegExp) =>
  (frame ?? '').split('\n').find((l) => pattern.test(l)) ?? '';

describe('ProcessesPane', () => {
  const view = sampleView();

  it('counts runs by state for each process type', () => {
    const { lastFrame } = render(
      <ProcessesPane
        counts={view.runs.byProcess}
        runs={view.runs.recent}
        selected={undefined}
        cursor={{ index: 0, top: 0 }}
        filter=""
        focused
        height={20}
        width={150}
        now={NOW}
      />,
    );
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
    const { lastFrame } = render(
      <ProcessesPane
        counts={view.runs.byProcess}
        runs={view.runs.recent}
        selected={selected}
        cursor={{ index: 0, top: 0 }}
        filter=""
        focused
        height={20}
        width={150}
        now={NOW}
      />,
    );
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
