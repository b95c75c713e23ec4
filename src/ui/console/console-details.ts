import type { ConsolePartition, ConsoleView } from '../../core/console/data.js';
import type { FailedRow } from '../../core/console/failed-window.js';
import type { RunRecord } from '../../core/model/run-record.js';
import { renderFailedItem } from '../text/failed.js';
import { partitionPeekLines } from '../text/peek.js';
import { runDetailLines } from '../text/runs.js';
import type { PaneName } from './console-state.js';
import type { ConsoleSource } from './hooks/use-console-data.js';

/** What Enter opens: a detail view's title, and its lines, read when asked. */
export interface DetailRequest {
  /** Names the row shown: lines read for another row (the operator moved on) are dropped. */
  readonly key: string;
  readonly title: string;
  /** The text of the view, one entry per line (it is read once, when the view opens). */
  load(): Promise<readonly string[]>;
}

/** The selected rows Enter may open, as the operator sees them. */
export interface DetailSelection {
  readonly view: ConsoleView | undefined;
  readonly failed: FailedRow | undefined;
  readonly run: RunRecord | undefined;
  readonly partition: ConsolePartition | undefined;
}

/** The detail of a pane's selected row; undefined when nothing is selected. */
export type DetailProvider = (source: ConsoleSource, selection: DetailSelection) => DetailRequest | undefined;

/**
 * A failed message as `agentctl failed show` prints it (one formatter for both): every field, the failure
 * history (each failure and failed replay with its time and error), the attempts, the event in full.
 */
const failedDetail: DetailProvider = (source, { failed, view }) => {
  if (failed === undefined) return undefined;
  const { id } = failed;
  return {
    key: `failed\u0000${id}`,
    title: `failed message ${id}  (agentctl failed show ${id})`,
    load: async () => {
      const item = await source.failedItem(id);
      if (item === undefined) return [`failed message ${id} is no longer in the store`];
      return renderFailedItem(item, view?.takenAt).split('\n');
    },
  };
};

/**
 * A run as `agentctl runs show` prints it (one formatter for both): its fields, every step with every
 * attempt (start, duration, error), the publish efforts with theirs, the parked items, the event.
 */
const runDetail: DetailProvider = (source, { run, view }) => {
  if (run === undefined) return undefined;
  const { id, eventId } = run;
  return {
    key: `run\u0000${id}`,
    title: `run ${id}  (agentctl runs show)`,
    load: async () => {
      const detail = await source.runDetail(id, eventId);
      if (detail === undefined) return [`run ${id} is no longer in the store`];
      return runDetailLines(detail, view?.takenAt);
    },
  };
};

/**
 * What Enter opens in each pane (the footer hints `enter details` where there is an entry); a pane
 * without one has no detail view.
 */
export const DETAIL_PROVIDERS: Readonly<Partial<Record<PaneName, DetailProvider>>> = {
  processes: runDetail,
  failed: failedDetail,
};

/**
 * `p` on a partition: the records around its checkpoint, read through the peek service without touching
 * the source, as `agentctl peek --around-checkpoint` prints them (`partitionPeekLines`).
 */
export const peekDetail: DetailProvider = (source, { partition }) => {
  if (partition === undefined) return undefined;
  const { group, sourceId } = partition;
  const ref = { group, sourceId, partition: partition.partition };
  return {
    key: `peek\u0000${partition.key}`,
    title: `peek ${sourceId} partition ${ref.partition} around its checkpoint`,
    load: async () => partitionPeekLines(await source.peekAround(ref)),
  };
};
