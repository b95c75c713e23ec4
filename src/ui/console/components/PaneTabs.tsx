import { Text } from 'ink';
import { PANES, type PaneName } from '../console-state.js';

export type PaneTabsProps = {
  /** The pane that has the keyboard. */
  readonly focus: PaneName;
  /** A short summary per pane (`64 · lag 1.2k`), so that the hidden panes still say how they stand. */
  readonly summaries: Readonly<Record<PaneName, string>>;
  /** Panes whose summary signals trouble (failed runs, a disabled sink, parked messages). */
  readonly alerts: ReadonlySet<PaneName>;
};

const TITLES: Readonly<Record<PaneName, string>> = {
  partitions: 'Partitions',
  processes: 'Processes',
  retries: 'Retries',
  failed: 'Failed',
};

/** The pane switcher: `tab`, `[`/`]` or `1`–`4`. */
export function PaneTabs({ focus, summaries, alerts }: PaneTabsProps) {
  return (
    <Text wrap="truncate">
      {PANES.map((pane, i) => (
        <Text key={pane}>
          {i === 0 ? '' : <Text dimColor> │ </Text>}
          <Text inverse={pane === focus} bold={pane === focus} color={pane === focus ? 'cyan' : undefined}>
            {` ${i + 1} ${TITLES[pane]} `}
          </Text>
          <Text color={alerts.has(pane) ? 'red' : undefined} dimColor={!alerts.has(pane)}>
            {` ${summaries[pane]}`}
          </Text>
        </Text>
      ))}
    </Text>
  );
}
