import { Box, Text } from 'ink';
import type { ConsolePartition } from '../../../core/console/data.js';
import { redactSecrets } from '../../../core/redact.js';
import { compact, duration, sparkline } from '../../text/format.js';
import type { Column } from '../console-format.js';
import { stateColor } from '../console-format.js';
import type { PaneProps } from './pane-props.js';
import { CursorTable } from './Table.js';

export type PartitionsPaneProps = PaneProps & {
  /** The partitions after the pane's filter. */
  readonly rows: readonly ConsolePartition[];
  /** Keys of tagged rows. */
  readonly tags: ReadonlySet<string>;
};

const SPARK = 16;

/** What a STALLED partition waits on: the position, and the run's step and attempt. */
const stalledOn = (p: ConsolePartition) => {
  const s = p.stall;
  if (s === undefined) return '';
  const run = s.run ? ` · ${s.run.step ?? '-'} #${s.run.stepAttempts}` : '';
  return `${s.waitingOn ?? s.position ?? '-'}${run}`;
};

const lagText = (p: ConsolePartition) => (p.lagRecords === undefined ? '-' : compact(p.lagRecords));

/**
 * Per shard / queue / log partition: committed and latest position, lag in records and in time
 * (`MillisBehindLatest`), queue depth (ready, unacked, consumers), owner, read state (STALLED, with the
 * position and the run's step and attempt it waits on) and a lag trend.
 */
export function PartitionsPane({ rows, cursor, tags, filter, focused, height, width }: PartitionsPaneProps) {
  const sources = new Set(rows.map((r) => `${r.group} ${r.source}`));
  const queues = rows.some((r) => r.depth !== undefined);
  const timed = rows.some((r) => r.lagMs !== undefined);
  const columns: Column<ConsolePartition>[] = [
    ...(sources.size > 1
      ? [
          { header: 'GROUP', value: (p: ConsolePartition) => p.group, max: 16 },
          { header: 'SOURCE', value: (p: ConsolePartition) => redactSecrets(p.source), max: 24 },
        ]
      : []),
    { header: 'PARTITION', value: (p) => p.partition, max: 24 },
    {
      header: 'STATE',
      value: (p) => (p.stall ? `STALLED ${duration(p.stall.forMs)}` : p.state),
      color: (p) => (p.stall ? 'red' : stateColor(p.state)),
    },
    { header: 'COMMITTED', value: (p) => p.committed ?? '-', align: 'right', max: 22 },
    { header: 'LATEST', value: (p) => p.latest ?? '-', align: 'right', max: 22 },
    {
      header: 'LAG',
      value: lagText,
      align: 'right',
      color: (p) => (p.lagRecords !== undefined && p.lagRecords > 0 ? 'yellow' : undefined),
    },
    ...(timed
      ? [{ header: 'BEHIND', value: (p: ConsolePartition) => duration(p.lagMs), align: 'right' as const }]
      : []),
    ...(queues
      ? [
          {
            header: 'READY',
            value: (p: ConsolePartition) => compact(p.depth?.ready),
            align: 'right' as const,
          },
          {
            header: 'UNACKED',
            value: (p: ConsolePartition) => compact(p.depth?.unacked),
            align: 'right' as const,
          },
          {
            header: 'CONSUMERS',
            value: (p: ConsolePartition) => compact(p.depth?.consumers),
            align: 'right' as const,
          },
        ]
      : []),
    { header: 'OWNER', value: (p) => p.owner ?? p.agent ?? '-', max: 32 },
    { header: 'LAG TREND', value: (p) => sparkline(p.lagHistory.slice(-SPARK)), max: SPARK },
    ...(rows.some((r) => r.stall !== undefined) ? [{ header: 'STALLED ON', value: stalledOn, max: 48 }] : []),
    ...(rows.some((r) => r.detail !== undefined) ? [{ header: 'NOTE', value: note, flex: true }] : []),
  ];
  const totalLag = rows.reduce((sum, r) => sum + (r.lagRecords ?? 0), 0);
  const title = [
    `${rows.length} partition${rows.length === 1 ? '' : 's'}`,
    sources.size === 1 ? redactSecrets([...sources][0]!) : `${sources.size} sources`,
    `lag ${compact(totalLag)}`,
    ...(filter ? [`filter "${filter}"`] : []),
    ...(tags.size > 0 ? [`${tags.size} tagged`] : []),
  ].join('  ·  ');
  return (
    <Box flexDirection="column" height={height} overflow="hidden">
      <Text dimColor wrap="truncate">
        {title}
      </Text>
      <CursorTable
        columns={columns}
        rows={rows}
        cursor={cursor}
        height={height - 1}
        width={width}
        focused={focused}
        tagged={(p) => tags.has(p.key)}
        rowKey={(p) => p.key}
        empty={filter ? 'no partition matches the filter' : 'no partition known yet'}
      />
    </Box>
  );
}

function note(p: ConsolePartition): string {
  if (p.detail === undefined) return '';
  return Object.entries(p.detail)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}
