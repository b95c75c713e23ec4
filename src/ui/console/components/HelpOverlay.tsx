import { Box, Text } from 'ink';

export type HelpOverlayProps = {
  /** Lines it takes (the pane's place). */
  readonly height: number;
  /** Actions are disabled (`--readonly`). */
  readonly readonly: boolean;
  /** The console runs the agent itself (`consume --tui`): quitting drains it. */
  readonly live: boolean;
};

/** Every key binding, one per line: [keys, what they do]. */
export const KEY_BINDINGS: readonly (readonly [string, string])[] = [
  ['tab ]   shift-tab [', 'next / previous pane (1-4 jump to one)'],
  ['j  k  ↓  ↑', 'move the selection'],
  ['g  G  home  end', 'top / bottom'],
  ['pgdn  pgup  ctrl-d  ctrl-u', 'a page down / up'],
  ['/', 'filter the pane (the Failed pane searches error, event type, id and payload)'],
  ['space', 'tag the row (Failed: for replay and discard; Partitions: for checkpoint reset)'],
  ['r', 'replay the tagged (else the selected) failed messages — asks first'],
  ['D', 'discard the tagged (else the selected) failed messages — asks first'],
  ['c', 'set or reset the checkpoint of the selected (or tagged) partitions — asks first'],
  ['d', "drain the agent (the selected partition's owner, else the only one) — asks first"],
  ['p', 'pause / resume live updates'],
  ['esc', 'clear tags and the status line; stop a long action'],
  ['?', 'this help'],
  ['q  ctrl-c', 'quit'],
];

/** The full key help (`?`), in the pane's place. */
export function HelpOverlay({ height, readonly, live }: HelpOverlayProps) {
  return (
    <Box
      flexDirection="column"
      height={height}
      overflow="hidden"
      borderStyle="round"
      borderColor="cyan"
      paddingX={1}
    >
      <Text bold>keys</Text>
      {KEY_BINDINGS.map(([keys, what]) => (
        <Text key={keys} wrap="truncate">
          <Text color="cyan">{keys.padEnd(28)}</Text>
          {what}
        </Text>
      ))}
      <Text dimColor wrap="truncate">
        {readonly
          ? 'read-only console: replay, discard, checkpoint and drain are refused'
          : 'destructive actions ask for y before they run; results show in the status line'}
      </Text>
      {live ? (
        <Text dimColor wrap="truncate">
          this console runs the agent: quitting drains it (finish in flight, commit, exit)
        </Text>
      ) : null}
    </Box>
  );
}
