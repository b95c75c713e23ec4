import { Box, Text } from 'ink';
import type { ConsoleState, PaneName } from '../console-state.js';

export type FooterProps = {
  /** The pane that has the keyboard (its actions are hinted). */
  readonly focus: PaneName;
  /** What the keyboard is talking to. */
  readonly mode: ConsoleState['mode']['kind'];
  /** A long action under way. */
  readonly busy: ConsoleState['busy'];
  /** The result of the last action, or a notice. */
  readonly status: ConsoleState['status'];
  /** The last load failed with this (the last good data stays on screen). */
  readonly error: string | undefined;
  /** Actions are disabled (`--readonly`): they are not hinted. */
  readonly readonly: boolean;
  /** The filter being typed (filter mode). */
  readonly draft?: string;
  /** Enter opens the selected row's detail view in the focused pane (hinted even when read-only). */
  readonly opens?: boolean;
};

/** What the keys do to the focused pane's rows, hinted first (a narrow terminal cuts the hints' end). */
const ACTIONS: Readonly<Record<PaneName, string>> = {
  partitions: 'space tag  c checkpoint  d drain',
  processes: 'd drain',
  retries: 'd drain',
  failed: 'space tag  r replay  o redrive  e edit  D discard',
};

const MODE_HINTS: Readonly<Record<string, string>> = {
  filter: 'type to filter  enter apply  esc cancel',
  confirm: 'y confirm  n/esc cancel',
  checkpoint: 'e earliest  l latest  s set position  esc cancel',
  help: 'j/k pgdn/pgup scroll  any other key closes the help',
  detail: 'j/k ↓/↑ scroll  pgdn/pgup/space page  g/G top/end  esc/q close',
};

/** The status line (action progress and results, load errors) and the key hints. */
export function Footer({ focus, mode, busy, status, error, readonly, draft, opens = false }: FooterProps) {
  // In the Partitions pane `p` peeks (it looks only: hinted even when read-only) and `P` pauses.
  const peeks = focus === 'partitions';
  const hints =
    MODE_HINTS[mode] ??
    `${opens ? 'enter details  ' : ''}${peeks ? 'p peek  ' : ''}${readonly ? '' : `${ACTIONS[focus]}  `}/ ${focus === 'failed' ? 'search' : 'filter'}  ? help  q quit  tab panes  j/k move  g/G top/bottom  ${peeks ? 'P' : 'p'} pause`;
  return (
    <Box flexDirection="column" height={2}>
      {draft !== undefined ? (
        <Text wrap="truncate">
          <Text color="cyan">{focus === 'failed' ? 'search: ' : 'filter: '}</Text>
          {draft}
          <Text inverse> </Text>
        </Text>
      ) : busy !== undefined ? (
        <Text
          wrap="truncate"
          color="cyan"
        >{`⧗ ${busy.label}${busy.progress ? `  ${busy.progress}` : ''}  (esc stops)`}</Text>
      ) : status !== undefined ? (
        <Text
          wrap="truncate"
          color={status.tone === 'error' ? 'red' : status.tone === 'ok' ? 'green' : undefined}
        >
          {status.text}
        </Text>
      ) : error !== undefined ? (
        <Text wrap="truncate" color="red">{`cannot read the store: ${error}`}</Text>
      ) : (
        <Text> </Text>
      )}
      <Text wrap="truncate" dimColor>
        {hints}
      </Text>
    </Box>
  );
}
