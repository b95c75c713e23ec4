import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { RetriesPane, type RetriesPaneProps } from '../../src/ui/console/components/RetriesPane.js';
import { paneRows } from '../../src/ui/console/console-rows.js';
import { line, NOW, sampleView } from './console-fixtures.js';

describe('RetriesPane', () => {
  const view = sampleView();
  const items = paneRows(view, { partitions: '', processes: '', retries: '', failed: '' }).retries;

  /** Renders the pane with the props of most tests, overridden by `props`. */
  const renderRetriesPane = (props: Partial<RetriesPaneProps>) =>
    render(
      <RetriesPane
        {...{
          sinks: view.retries.sinks,
          items: items,
          cursor: { index: 0, top: 0 },
          filter: '',
          focused: true,
          height: 16,
          width: 160,
          now: NOW,
          ...props,
        }}
      />,
    );

  it('shows sinks with their status-board state, and retries with attempts, next try and last error', () => {
    const { lastFrame } = renderRetriesPane({});
    expect(line(lastFrame(), /amqp-results\s+disabled/)).toMatch(
      /amqp-results\s+disabled\s+30s ago\s+5\s+in 30s\s+orders@host-1#4242\s+connection refused/,
    );
    expect(line(lastFrame(), /^› step /)).toMatch(
      /step\s+score\/score\s+r1\s+waiting\s+2\s+in 4\.0s\s+1\.0s ago\s+timeout after 2s/,
    );
    expect(line(lastFrame(), /^ {2}publish /)).toMatch(
      /publish\s+amqp-results\s+rec-e1\s+pending\s+3\s+in 40s\s+5\.0s ago\s+connection refused/,
    );
  });

  it('lists the attempts of the selected effort', () => {
    const { lastFrame } = renderRetriesPane({ cursor: { index: 1, top: 0 } });
    expect(lastFrame()).toContain('attempts of publish amqp-results rec-e1');
    expect(lastFrame()).toMatch(/#1\s+20s ago\s+took 12ms\s+connection refused/);
    expect(lastFrame()).toMatch(/#3\s+5\.0s ago\s+took 13ms\s+connection refused/);
  });
});
