import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { PaneTabs, type PaneTabsProps, tabSummaries } from '../../src/ui/console/components/PaneTabs.js';

const SUMMARIES: PaneTabsProps['summaries'] = {
  partitions: { text: '64 · lag 1.2k', short: 'lag 1.2k' },
  processes: { text: '3 running · 321 failed', short: '321 failed' },
  retries: { text: '1 waiting · 1 sink off', short: '1 sink off' },
  failed: { text: '1,204 pending', short: '1,204 pending' },
};
const ALERTS: PaneTabsProps['alerts'] = new Set(['processes', 'failed']);

const bar = (width: number, alerts = ALERTS) =>
  render(<PaneTabs focus="retries" summaries={SUMMARIES} alerts={alerts} width={width} />).lastFrame() ?? '';

describe('PaneTabs', () => {
  it('gives each tab its summary in full when they all fit, else the short ones', () => {
    expect(tabSummaries('retries', SUMMARIES, ALERTS, 131)).toEqual({
      partitions: '64 · lag 1.2k',
      processes: '3 running · 321 failed',
      retries: '1 waiting · 1 sink off',
      failed: '1,204 pending',
    });
    expect(tabSummaries('retries', SUMMARIES, ALERTS, 130)).toEqual({
      partitions: 'lag 1.2k',
      processes: '321 failed',
      retries: '1 sink off',
      failed: '1,204 pending',
    });
  });

  it('keeps every tab on a narrow terminal: the summaries of the focused pane and of panes in trouble go last', () => {
    expect(bar(100)).toBe(
      ' 1 Partitions  │  2 Processes  321 failed │  3 Retries  1 sink off │  4 Failed  1,204 pending',
    );
    expect(bar(80)).toBe(' 1 Partitions  │  2 Processes  │  3 Retries  │  4 Failed');
    expect(bar(80, new Set(['failed']))).toBe(
      ' 1 Partitions  │  2 Processes  │  3 Retries  │  4 Failed  1,204 pending',
    );
  });
});
