import type { ConsoleView } from '../../core/console/data.js';
import type { FailedRow } from '../../core/console/failed-window.js';
import type { RunRecord } from '../../core/model/run-record.js';
import { renderFailedItem } from '../text/failed.js';
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
 * What Enter opens in each pane (the footer hints `enter details` where there is an entry). A pane
 * without one has no detail view yet. For runs, the entry is `processes`: a provider that takes
 * `selection.run`, reads the run through a `ConsoleSource` method backed by the `runs show` service in
 * `ConsoleFeed`, and formats it with that command's formatter (`runDetailLines`), as `failedDetail` does
 * for failed messages.
 */
export const DETAIL_PROVIDERS: Readonly<Partial<Record<PaneName, DetailProvider>>> = {
  failed: failedDetail,
};
