import type { ConsolePartition, ConsoleView } from '../../core/console/data.js';
import type { FailedRow } from '../../core/console/failed-window.js';
import type { RunRecord } from '../../core/model/run-record.js';
import type { PaneName } from './console-state.js';

/** A line of the Retries pane: a step retry or a publish effort. */
export interface RetryItem {
  readonly key: string;
  readonly kind: 'step' | 'publish';
  /** Run id (step) or record id (publish). */
  readonly id: string;
  /** `process/step`, or the sink. */
  readonly name: string;
  /** waiting / recovered / exhausted (steps), pending / delivered / parked (efforts). */
  readonly state: string;
  readonly attempts: number;
  readonly nextAttemptAt?: number;
  readonly error?: string;
  readonly at: number;
  readonly history: readonly {
    readonly attempt: number;
    readonly at: number;
    readonly durationMs: number;
    readonly error?: string;
  }[];
}

/** The rows of each pane, after the pane's filter (the Failed pane is filtered by the store's search). */
export interface PaneRows {
  readonly partitions: readonly ConsolePartition[];
  readonly processes: readonly RunRecord[];
  readonly retries: readonly RetryItem[];
  /** The loaded window of the failed store; it starts at row `view.failed.top`. */
  readonly failed: readonly FailedRow[];
}

const matches = (filter: string, ...fields: (string | undefined)[]) => {
  const needle = filter.toLowerCase();
  return needle === '' || fields.some((f) => f?.toLowerCase().includes(needle));
};

export function paneRows(
  view: ConsoleView | undefined,
  filters: Readonly<Record<PaneName, string>>,
): PaneRows {
  if (view === undefined) return { partitions: [], processes: [], retries: [], failed: [] };
  return {
    partitions: view.partitions.filter((p) =>
      matches(filters.partitions, p.partition, p.state, p.owner, p.source, p.group),
    ),
    processes: view.runs.recent.filter((r) =>
      matches(filters.processes, r.process, r.state, r.rule, r.eventType, r.eventId, r.currentStep, r.error),
    ),
    retries: retryItems(view).filter((r) => matches(filters.retries, r.kind, r.name, r.id, r.state, r.error)),
    failed: view.failed.rows,
  };
}

/** How many rows the cursor of each pane moves over. */
export function rowCount(pane: PaneName, rows: PaneRows, view: ConsoleView | undefined): number {
  if (pane !== 'failed') return rows[pane].length;
  if (view === undefined) return 0;
  return view.failed.capped ? view.failed.top + view.failed.rows.length : view.failed.total;
}

function retryItems(view: ConsoleView): RetryItem[] {
  const runs = new Map(view.runs.recent.map((r) => [r.id, r]));
  const steps = view.retries.steps.map((s): RetryItem => {
    const step = runs.get(s.id)?.steps.find((st) => st.name === s.name);
    return {
      key: `step\u0000${s.id}\u0000${s.name}`,
      kind: s.kind,
      id: s.id,
      name: s.process === undefined ? s.name : `${s.process}/${s.name}`,
      state: s.state,
      attempts: s.attempts,
      ...(s.nextAttemptAt === undefined ? {} : { nextAttemptAt: s.nextAttemptAt }),
      ...(s.error === undefined ? {} : { error: s.error }),
      at: s.at,
      history: (step?.history ?? []).map((h) => ({
        attempt: h.attempt,
        at: h.startedAt,
        durationMs: h.durationMs,
        ...(h.error === undefined ? {} : { error: h.error }),
      })),
    };
  });
  const efforts = view.retries.efforts.map(
    (e): RetryItem => ({
      key: `publish\u0000${e.id}`,
      kind: 'publish',
      id: e.recordId,
      name: e.sink,
      state: e.culmination,
      attempts: e.attempts,
      ...(e.nextAttemptAt === undefined ? {} : { nextAttemptAt: e.nextAttemptAt }),
      ...(e.lastError === undefined ? {} : { error: e.lastError }),
      at: e.updatedAt,
      history: e.history.map((h) => ({
        attempt: h.attempt,
        at: h.at,
        durationMs: h.durationMs,
        ...(h.error === undefined ? {} : { error: h.error }),
      })),
    }),
  );
  return [...steps, ...efforts].sort((a, b) => b.at - a.at);
}
