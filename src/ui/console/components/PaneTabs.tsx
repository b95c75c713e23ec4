import { Text } from 'ink';
import { PANES, type PaneName } from '../console-state.js';

/** How a pane stands, in two lengths. */
export interface PaneSummary {
  /** `64 · lag 1.2k`: shown when the tab bar has room. */
  readonly text: string;
  /** The one figure that matters most (`lag 1.2k`, `321 failed`): shown when it has not. */
  readonly short: string;
}

export type PaneTabsProps = {
  /** The pane that has the keyboard. */
  readonly focus: PaneName;
  /** A summary per pane, so that the hidden panes still say how they stand. */
  readonly summaries: Readonly<Record<PaneName, PaneSummary>>;
  /** Panes whose summary signals trouble (failed runs, a disabled sink, parked messages). */
  readonly alerts: ReadonlySet<PaneName>;
  /** Characters the bar may take. */
  readonly width: number;
};

const TITLES: Readonly<Record<PaneName, string>> = {
  partitions: 'Partitions',
  processes: 'Processes',
  retries: 'Retries',
  failed: 'Failed',
};

const SEPARATOR = ' │ ';
const tab = (pane: PaneName) => ` ${PANES.indexOf(pane) + 1} ${TITLES[pane]} `;

/**
 * The summaries shown in `width`: every pane's in full if they fit, else the short ones, else only those
 * of the focused pane and of panes in trouble, else only those in trouble, else none (a tab in trouble
 * still shows in red). The tabs themselves always show.
 */
export function tabSummaries(
  focus: PaneName,
  summaries: Readonly<Record<PaneName, PaneSummary>>,
  alerts: ReadonlySet<PaneName>,
  width: number,
): Record<PaneName, string> {
  const choices: ((pane: PaneName) => string)[] = [
    (pane) => summaries[pane].text,
    (pane) => summaries[pane].short,
    (pane) => (pane === focus || alerts.has(pane) ? summaries[pane].short : ''),
    (pane) => (alerts.has(pane) ? summaries[pane].short : ''),
  ];
  for (const choice of choices) {
    const chosen = Object.fromEntries(PANES.map((pane) => [pane, choice(pane)])) as Record<PaneName, string>;
    const length = PANES.reduce(
      (n, pane, i) =>
        n + (i === 0 ? 0 : SEPARATOR.length) + tab(pane).length + summaryText(chosen[pane]).length,
      0,
    );
    if (length <= width) return chosen;
  }
  return { partitions: '', processes: '', retries: '', failed: '' };
}

const summaryText = (summary: string) => (summary === '' ? '' : ` ${summary}`);

/** The pane switcher: `tab`, `[`/`]` or `1`–`4`. */
export function PaneTabs({ focus, summaries, alerts, width }: PaneTabsProps) {
  const shown = tabSummaries(focus, summaries, alerts, width);
  return (
    <Text wrap="truncate">
      {PANES.map((pane, i) => (
        <Text key={pane}>
          {i === 0 ? '' : <Text dimColor>{SEPARATOR}</Text>}
          <Text
            inverse={pane === focus}
            bold={pane === focus}
            color={pane === focus ? 'cyan' : alerts.has(pane) ? 'red' : undefined}
          >
            {tab(pane)}
          </Text>
          <Text color={alerts.has(pane) ? 'red' : undefined} dimColor={!alerts.has(pane)}>
            {summaryText(shown[pane])}
          </Text>
        </Text>
      ))}
    </Text>
  );
}
