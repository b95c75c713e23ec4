import { Box, Text } from 'ink';

export type ConfirmDialogProps = {
  /** What will happen, as a question. */
  readonly question: string;
  /** A production context's name, to be typed to confirm (instead of y). */
  readonly typeName?: string;
  /** What is typed so far. */
  readonly draft?: string;
};

/** Lines the dialog takes. */
export const CONFIRM_HEIGHT = 4;

/**
 * Asks before an action runs: `y` runs it, anything else (n, esc, enter) cancels. In a production
 * context the context's name is typed and enter runs it; esc cancels.
 */
export function ConfirmDialog({ question, typeName, draft }: ConfirmDialogProps) {
  const production = typeName !== undefined;
  return (
    <Box
      flexDirection="column"
      height={CONFIRM_HEIGHT}
      borderStyle="round"
      borderColor={production ? 'red' : 'yellow'}
      paddingX={1}
    >
      <Text wrap="truncate" bold>
        {question}
      </Text>
      {production ? (
        <Text wrap="truncate">
          <Text color="red" bold>
            {`production context ${typeName}:`}
          </Text>
          {` type its name, then enter (esc cancels): ${draft ?? ''}`}
          <Text inverse> </Text>
        </Text>
      ) : (
        <Text wrap="truncate">
          <Text color="yellow" bold>
            y
          </Text>
          {' confirm   '}
          <Text bold>n</Text>
          {' / esc cancel'}
        </Text>
      )}
    </Box>
  );
}
