import { Box, Text } from 'ink';
import type { FailedRow } from '../../../core/console/failed-window.js';
import { age, count, timestamp } from '../../text/format.js';
import { printable } from '../../text/printable.js';
import type { Column } from '../console-format.js';
import { failedSections } from '../console-layout.js';
import type { PaneProps } from './pane-props.js';
import { CursorTable } from './Table.js';

export type FailedPaneProps = PaneProps & {
  /** The loaded window of parked messages, newest first; its first row is row `top`. */
  readonly rows: readonly FailedRow[];
  /** Index of `rows[0]` among all matching items. */
  readonly top: number;
  /** Items matching (pending, and the search). */
  readonly total: number;
  /** Only the first matches of the search are listed. */
  readonly capped: boolean;
  /** Pending items by reason. */
  readonly byReason: Readonly<Record<string, number>>;
  /** Ids of tagged items, as strings. */
  readonly tags: ReadonlySet<string>;
  /** When the data was read (ages are counted to it). */
  readonly now: number;
};

/** Parked messages (reason, error, attempts, age), searchable, with the selected one's details. */
export function FailedPane(props: FailedPaneProps) {
  const { rows, top, total, capped, byReason, cursor, tags, filter, focused, height, width, now } = props;
  const sections = failedSections(height);
  // ID, reason, attempts and error always show; on a narrow terminal the others go, partition first.
  const columns: Column<FailedRow>[] = [
    { header: 'ID', value: (f) => String(f.id), align: 'right' },
    { header: 'REASON', value: (f) => f.reason, color: () => 'red' },
    { header: 'WHERE', value: where, max: 28, drop: 4 },
    { header: 'EVENT', value: (f) => f.eventType ?? '-', max: 24, drop: 2 },
    { header: 'PARTITION', value: (f) => `${f.partition}@${f.position}`, max: 18, drop: 1 },
    { header: 'ATTEMPTS', value: (f) => String(f.attempts), align: 'right' },
    { header: 'AGE', value: (f) => age(f.lastFailedAt, now), drop: 3 },
    { header: 'ERROR', value: (f) => f.error, flex: true },
  ];
  const reasons = Object.entries(byReason)
    .map(([reason, n]) => `${reason} ${count(n)}`)
    .join(', ');
  const title = [
    filter
      ? `${count(total)} match${total === 1 ? '' : 'es'} for "${filter}"${capped ? ` (the first ${count(top + rows.length)} listed)` : ''}`
      : `${count(total)} pending${reasons ? ` (${reasons})` : ''}`,
    'newest first',
    ...(total > 0 ? [`row ${count(cursor.index + 1)} of ${count(total)}`] : []),
    ...(tags.size > 0 ? [`${tags.size} tagged`] : []),
  ].join('  ·  ');
  const selected = rows[cursor.index - top];
  return (
    <Box flexDirection="column" height={height} overflow="hidden">
      <Text dimColor wrap="truncate">
        {title}
      </Text>
      <CursorTable
        columns={columns}
        rows={rows}
        cursor={cursor}
        first={top}
        height={sections.list}
        width={width}
        focused={focused}
        tagged={(f) => tags.has(String(f.id))}
        rowKey={(f) => String(f.id)}
        empty={filter ? 'nothing matches the search' : 'the failed store has no pending message'}
      />
      <Box flexDirection="column" height={sections.detail} overflow="hidden">
        {selected === undefined ? (
          <Text dimColor>select a message (j/k) to see its details</Text>
        ) : (
          <>
            <Text wrap="truncate" bold>
              {printable(
                `#${selected.id} ${selected.reason} · ${where(selected)} · ${selected.eventType ?? '-'} ${selected.eventId ?? ''} · ${selected.source} ${selected.partition}@${selected.position}`,
              )}
            </Text>
            <Text wrap="truncate">
              {`first failed ${timestamp(selected.firstFailedAt)} · last ${timestamp(selected.lastFailedAt)} · ${selected.attempts} attempts · ${selected.failures} failure${selected.failures === 1 ? '' : 's'} recorded`}
            </Text>
            <Text wrap="truncate" color="red">{`error: ${printable(selected.error)}`}</Text>
            <Text wrap="truncate" dimColor>{`payload: ${printable(selected.preview)}`}</Text>
          </>
        )}
      </Box>
    </Box>
  );
}

/** Where it failed: the rule and process, or the sink. */
function where(f: FailedRow): string {
  if (f.sink !== undefined) return `sink ${f.sink}`;
  return [f.rule, f.process].filter((x) => x !== undefined).join('/') || '-';
}
