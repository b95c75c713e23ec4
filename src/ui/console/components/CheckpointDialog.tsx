import { Box, Text } from 'ink';
import type { CheckpointTarget } from '../../../core/console/actions.js';
import { listed } from '../console-format.js';
import { CONFIRM_HEIGHT } from './ConfirmDialog.js';

export type CheckpointDialogProps = {
  /** The partitions acted on (the tagged ones, else the selected one). */
  readonly targets: readonly CheckpointTarget[];
  /** The position being typed, once `s` was chosen. */
  readonly draft?: string;
};

/** Chooses what to do with checkpoints: reset to earliest or latest, or set one partition's position. */
export function CheckpointDialog({ targets, draft }: CheckpointDialogProps) {
  const first = targets[0];
  const which =
    first === undefined
      ? ''
      : `${first.group} on ${first.sourceId}, partition${targets.length === 1 ? '' : 's'} ${listed(targets.map((t) => t.partition))}`;
  return (
    <Box flexDirection="column" height={CONFIRM_HEIGHT} borderStyle="round" borderColor="yellow" paddingX={1}>
      <Text wrap="truncate" bold>{`checkpoint of ${which}`}</Text>
      {draft === undefined ? (
        <Text wrap="truncate">
          <Text bold color="yellow">
            e
          </Text>
          {' reset to earliest   '}
          <Text bold color="yellow">
            l
          </Text>
          {' reset to latest   '}
          {targets.length === 1 ? (
            <>
              <Text bold color="yellow">
                s
              </Text>
              {' set a position   '}
            </>
          ) : null}
          <Text bold>esc</Text>
          {' cancel'}
        </Text>
      ) : (
        <Text wrap="truncate">
          {'position: '}
          {draft}
          <Text inverse> </Text>
          {'   enter next · esc cancel'}
        </Text>
      )}
    </Box>
  );
}
