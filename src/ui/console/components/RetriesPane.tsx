import { Box, Text } from 'ink';
import type { SinkStatus } from '../../../core/model/status-snapshot.js';
import { age, duration } from '../../text/format.js';
import { printable } from '../../text/printable.js';
import { type Column, fitText, stateColor } from '../console-format.js';
import { retriesSections } from '../console-layout.js';
import type { RetryItem } from '../console-rows.js';
import type { PaneProps } from './pane-props.js';
import { CursorTable, listCaption, Table } from './Table.js';

export type RetriesPaneProps = PaneProps & {
  /** Sinks as the agents' publisher status boards see them. */
  readonly sinks: readonly (SinkStatus & { readonly agent: string })[];
  /** Step retries and publish efforts after the pane's filter, newest first. */
  readonly items: readonly RetryItem[];
  /** When the data was read (ages and countdowns are counted to it). */
  readonly now: number;
};

type Sink = RetriesPaneProps['sinks'][number];

/** Sinks with their status-board state; step retries and publish efforts with attempts and next try. */
export function RetriesPane({ sinks, items, cursor, filter, focused, height, width, now }: RetriesPaneProps) {
  const sections = retriesSections(height, sinks.length);
  const next = (at: number | undefined) =>
    at === undefined ? '-' : at <= now ? 'due' : `in ${duration(at - now)}`;
  const sinkColumns: Column<Sink>[] = [
    { header: 'SINK', value: (s) => s.name, max: 28 },
    {
      header: 'STATE',
      value: (s) => (s.enabled ? 'enabled' : 'disabled'),
      color: (s) => stateColor(s.enabled ? 'enabled' : 'disabled'),
    },
    { header: 'SINCE', value: (s) => age(s.since, now) },
    { header: 'FAILURES', value: (s) => String(s.consecutiveFailures), align: 'right' },
    { header: 'RETRY AT', value: (s) => next(s.retryAt) },
    { header: 'AGENT', value: (s) => s.agent, max: 32 },
    { header: 'LAST ERROR', value: (s) => s.lastError ?? '', flex: true },
  ];
  const itemColumns: Column<RetryItem>[] = [
    { header: 'KIND', value: (r) => r.kind },
    { header: 'NAME', value: (r) => r.name, max: 28 },
    { header: 'ID', value: (r) => r.id, max: 26 },
    { header: 'STATE', value: (r) => r.state, color: (r) => stateColor(r.state) },
    { header: 'ATTEMPTS', value: (r) => String(r.attempts), align: 'right' },
    { header: 'NEXT TRY', value: (r) => next(r.nextAttemptAt) },
    { header: 'WHEN', value: (r) => age(r.at, now) },
    { header: 'LAST ERROR', value: (r) => r.error ?? '', flex: true },
  ];
  const selected = items[cursor.index];
  const attempts = selected?.history.slice(-(sections.detail - 1)) ?? [];
  return (
    <Box flexDirection="column" height={height} overflow="hidden">
      <Table
        columns={sinkColumns}
        rows={sinks}
        height={sections.sinks}
        width={width}
        rowKey={(s) => `${s.agent}\u0000${s.name}`}
        empty="no sink reported by a running agent"
      />
      <Text dimColor wrap="truncate">
        {listCaption('retries and publish efforts, newest first', items.length, filter)}
      </Text>
      <CursorTable
        columns={itemColumns}
        rows={items}
        cursor={cursor}
        height={sections.list - 1}
        width={width}
        focused={focused}
        rowKey={(r) => r.key}
        empty={filter ? 'nothing matches the filter' : 'no retry and no publish effort recorded'}
      />
      <Box flexDirection="column" height={sections.detail} overflow="hidden">
        <Text dimColor wrap="truncate">
          {selected === undefined
            ? 'attempts of the selected row'
            : `attempts of ${selected.kind} ${selected.name} ${selected.id}`}
        </Text>
        {attempts.map((a) => (
          <Text key={a.attempt} wrap="truncate" color={a.error === undefined ? undefined : 'red'}>
            {`  #${fitText(String(a.attempt), 3)} ${fitText(age(a.at, now), 12)} took ${fitText(duration(a.durationMs), 8)} ${printable(a.error ?? 'ok')}`}
          </Text>
        ))}
      </Box>
    </Box>
  );
}
