import { Box, Text } from 'ink';
import { RUN_ID_LENGTH } from '../../../core/model/run-id.js';
import type { RunRecord, RunState, StepRecord } from '../../../core/model/run-record.js';
import { RUN_STATES } from '../../../core/model/run-record.js';
import type { RunCount } from '../../../core/store/state-store.js';
import { age, count, duration } from '../../text/format.js';
import { type Column, stateColor } from '../console-format.js';
import { processesSections } from '../console-layout.js';
import type { PaneProps } from './pane-props.js';
import { CursorTable, listCaption, Table } from './Table.js';

export type ProcessesPaneProps = PaneProps & {
  /** Runs by process and state. */
  readonly counts: readonly RunCount[];
  /** Recent runs after the pane's filter, most recently updated first. */
  readonly runs: readonly RunRecord[];
  /** The selected run read whole, when loaded (else the list's copy is shown). */
  readonly selected: RunRecord | undefined;
  /** When the data was read (ages are counted to it). */
  readonly now: number;
};

type ProcessCounts = { readonly process: string } & Readonly<Record<RunState, number>>;

/** Runs by state per process type; recent runs with their current step; the selected run's steps. */
export function ProcessesPane({
  counts,
  runs,
  selected,
  cursor,
  filter,
  focused,
  height,
  width,
  now,
}: ProcessesPaneProps) {
  const byProcess = pivot(counts);
  const sections = processesSections(height, byProcess.length);
  const pick = runs[cursor.index];
  const run = selected !== undefined && selected.id === pick?.id ? selected : pick;
  const countColumns: Column<ProcessCounts>[] = [
    { header: 'PROCESS', value: (p) => p.process, max: 32 },
    ...RUN_STATES.map(
      (state): Column<ProcessCounts> => ({
        header: state.toUpperCase(),
        value: (p) => count(p[state]),
        align: 'right',
        color: (p) => (p[state] > 0 && state !== 'succeeded' ? stateColor(state) : undefined),
      }),
    ),
  ];
  // The run id (whole, to be copied), state, attempts and error always show; the rest go when narrow.
  const runColumns: Column<RunRecord>[] = [
    { header: 'RUN', value: (r) => r.id, max: RUN_ID_LENGTH },
    { header: 'PROCESS', value: (r) => r.process, max: 20, drop: 3 },
    { header: 'RULE', value: (r) => r.rule, max: 20, drop: 1 },
    { header: 'STATE', value: (r) => r.state, color: (r) => stateColor(r.state) },
    { header: 'STEP', value: (r) => r.currentStep ?? '-', max: 16, drop: 5 },
    { header: 'ATTEMPTS', value: (r) => String(r.attempts), align: 'right' },
    { header: 'EVENT', value: (r) => `${r.eventType} ${r.eventId}`, max: 32, drop: 2 },
    { header: 'UPDATED', value: (r) => age(r.updatedAt, now), drop: 4 },
    { header: 'ERROR', value: (r) => r.error ?? '', flex: true },
  ];
  const stepColumns: Column<StepRecord>[] = [
    { header: 'STEP', value: (s) => s.name, max: 24 },
    { header: 'STATE', value: (s) => s.state, color: (s) => stateColor(s.state) },
    { header: 'ATTEMPTS', value: (s) => String(s.attempts), align: 'right' },
    { header: 'STARTED', value: (s) => age(s.startedAt, now), drop: 2 },
    {
      header: 'TOOK',
      value: (s) => (s.startedAt === undefined ? '-' : duration((s.finishedAt ?? now) - s.startedAt)),
      align: 'right',
    },
    {
      header: 'NEXT TRY',
      value: (s) =>
        s.nextAttemptAt === undefined ? '-' : `in ${duration(Math.max(0, s.nextAttemptAt - now))}`,
      drop: 1,
    },
    { header: 'ERROR', value: (s) => s.error ?? '', flex: true },
  ];
  return (
    <Box flexDirection="column" height={height} overflow="hidden">
      <Table
        columns={countColumns}
        rows={byProcess}
        height={sections.counts}
        width={width}
        rowKey={(p) => p.process}
        empty="no run recorded yet"
      />
      <Text dimColor wrap="truncate">
        {listCaption('recent runs, newest first', runs.length, filter)}
      </Text>
      <CursorTable
        columns={runColumns}
        rows={runs}
        cursor={cursor}
        height={sections.runs - 1}
        width={width}
        focused={focused}
        rowKey={(r) => r.id}
        empty={filter ? 'no run matches the filter' : 'no recent run'}
      />
      <Text dimColor wrap="truncate">
        {run === undefined
          ? 'steps of the selected run'
          : `steps of ${run.id}  ·  ${run.process}  ·  rule ${run.rule}  ·  ${run.eventType} ${run.eventId}  ·  ${run.state}${run.origin ? `  ·  ${run.origin.partition}@${run.origin.position}` : ''}`}
      </Text>
      <Table
        columns={stepColumns}
        rows={run?.steps ?? []}
        height={sections.steps - 1}
        width={width}
        rowKey={(s) => s.name}
        empty={run === undefined ? 'select a run (j/k)' : 'no step has started'}
      />
    </Box>
  );
}

function pivot(counts: readonly RunCount[]): ProcessCounts[] {
  const rows = new Map<string, Record<RunState, number>>();
  for (const c of counts) {
    let row = rows.get(c.process);
    if (row === undefined) {
      row = { pending: 0, running: 0, succeeded: 0, failed: 0 };
      rows.set(c.process, row);
    }
    row[c.state] += c.count;
  }
  return [...rows].map(([process, states]) => ({ process, ...states }));
}
