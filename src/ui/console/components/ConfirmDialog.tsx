import { Box, Text } from 'ink';

export type ConfirmDialogProps = {
  /** What will happen, as a question. */
  readonly question: string;
};

/** Lines the dialog takes. */
export const CONFIRM_HEIGHT = 4;

/** Asks before an action runs: `y` runs it, anything else (n, esc, enter) cancels. */
export function ConfirmDialog({ question }: ConfirmDialogProps) {
  return (
    <Box flexDirection="column" height={CONFIRM_HEIGHT} borderStyle="round" borderColor="yellow" paddingX={1}>
      <Text wrap="truncate" bold>
        {question}
      </Text>
      <Text wrap="truncate">
        <Text color="yellow" bold>
          y
        </Text>
        {' confirm   '}
        <Text bold>n</Text>
        {' / esc cancel'}
      </Text>
    </Box>
  );
}
