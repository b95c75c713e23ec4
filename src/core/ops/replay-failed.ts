import { type Clock, systemClock } from '../clock.js';
import type { AgentConfig } from '../config/agent-config.js';
import type { Where } from '../filter/where.js';
import { Stats } from '../model/stats.js';
import { Journal } from '../store/journal.js';
import type { FailedFilter, FailedMessage, ReplayableMessage } from '../store/records.js';
import type { StateStore } from '../store/state-store.js';
import { matchingFailed, requireFailedIds } from './failed-items.js';
import { identity, PageReplay, type ReplayItemOutcome } from './replay-page.js';
import { SinkPublishers } from './sink-publishers.js';

export type { ReplayedAs, ReplayItemOutcome } from './replay-page.js';

export interface ReplayFailedOptions {
  readonly store: StateStore;
  /** The agent whose rules, processes, decoder and sink replay the items; only its items are selected. */
  readonly config: AgentConfig;
  /** Which items (`ids`, `reason`, `rule`, `since`, `limit`, …); `status` defaults to `pending`. */
  readonly filter?: FailedFilter;
  /** Only the items of `filter` this `--where` matches (see `narrowedByWhere`). */
  readonly where?: Where<FailedMessage>;
  /** Select and report, change nothing. */
  readonly dryRun?: boolean;
  /** Called after each page of items is settled in the store. */
  readonly onProgress?: (progress: ReplayProgress) => void;
  /** Stops after the page in progress (what is settled stays settled). */
  readonly signal?: AbortSignal;
  readonly clock?: Clock;
  /**
   * Items replayed, then settled in the store, together (default 1,000: the local sink's batch, so that
   * a page of records goes out in one append).
   */
  readonly pageSize?: number;
  /**
   * Deliver to this sink URI instead of the one each record was parked for, and publish the results of
   * replayed events there instead of to the config's sink (`replay --sink`).
   */
  readonly sink?: string;
}

export interface ReplayProgress {
  readonly done: number;
  readonly total: number;
  readonly replayed: number;
  readonly failedAgain: number;
}

export interface ReplayFailedSummary {
  readonly dryRun: boolean;
  readonly selected: number;
  readonly replayed: number;
  readonly failedAgain: number;
  /** Selected but not replayed: every item of a dry run. */
  readonly skipped: number;
  /** Runs executed now, and runs skipped because they had already succeeded. */
  readonly runs: { readonly succeeded: number; readonly failed: number; readonly skipped: number };
  /** Records delivered (re-published items and results of replayed events). */
  readonly delivered: number;
  readonly interrupted: boolean;
  readonly durationMs: number;
  readonly items: readonly ReplayItemOutcome[];
}

const DEFAULT_PAGE_SIZE = 1_000;

/** The items a replay with `filter` takes: pending ones of the agent unless a status is given. */
export function replaySelection(config: AgentConfig, filter: FailedFilter = {}): FailedFilter {
  return { status: 'pending', group: config.name, ...filter };
}

/**
 * The filter a `--where` narrows `filter` to: the ids of the items it selects that `where` matches (at
 * most `filter.limit`, oldest first), or `undefined` when none does. The items are read whole (the
 * expression may test the error, the attempts or the event), a page at a time.
 */
export async function narrowedByWhere(
  store: StateStore,
  config: AgentConfig,
  filter: FailedFilter,
  where: Where<FailedMessage>,
): Promise<FailedFilter | undefined> {
  const { limit, ...rest } = filter;
  const ids: number[] = [];
  for await (const item of matchingFailed(store, replaySelection(config, rest), where)) {
    ids.push(item.id);
    if (limit !== undefined && ids.length >= limit) break;
  }
  return ids.length === 0 ? undefined : { ...rest, ids };
}

/**
 * How many items `replayFailed` would take with these options (for a confirmation prompt).
 * @throws NotFoundError when `filter.ids` names an item that does not exist.
 */
export async function countReplayable(
  store: StateStore,
  config: AgentConfig,
  filter: FailedFilter = {},
  where?: Where<FailedMessage>,
): Promise<number> {
  await requireFailedIds(store, filter.ids ?? []);
  if (where !== undefined) {
    const narrowed = await narrowedByWhere(store, config, filter, where);
    return narrowed === undefined ? 0 : countReplayable(store, config, narrowed);
  }
  const total = await store.failed.count(replaySelection(config, filter));
  return Math.min(total, filter.limit ?? Number.POSITIVE_INFINITY);
}

/**
 * Replays parked items of the failed store and settles each one:
 *
 * - an **event** (`kind: 'event'`) runs again through decode → rules → processes → publish with the agent's
 *   config, processes inline. Runs that already succeeded are skipped (same run ids), so only what failed is
 *   redone. Processed, or matched by no rule any more → `replayed`. A decode, rule or process failure is
 *   recorded on the item itself (`recordFailure`, via `replay`: attempts + 1, history extended, still
 *   pending) — no new item is parked for it. Records its runs publish go to the configured sink; one that
 *   cannot be delivered is parked as usual, as an item of its own.
 * - a **record** (`kind: 'record'`, reason `publish`) is published again, with its key and headers, to the
 *   sink it was meant for, with the config's contingency. Delivered → `replayed`; given up again, or its sink
 *   not available → the failure is recorded on the item. The publisher's own parking of that record (same
 *   key) is dropped, so no second item appears.
 *
 * Items are taken in id order, a page at a time: the page's runs, efforts and new parkings are flushed to
 * the store first, then the page's statuses are set. Items parked by this replay are not replayed by it.
 * @throws NotFoundError when `filter.ids` names an item that does not exist.
 */
export async function replayFailed(options: ReplayFailedOptions): Promise<ReplayFailedSummary> {
  const { store, config } = options;
  const clock = options.clock ?? systemClock;
  const startedAt = clock.now();
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  let filter = options.filter ?? {};
  if (options.where !== undefined) {
    await requireFailedIds(store, filter.ids ?? []);
    const narrowed = await narrowedByWhere(store, config, filter, options.where);
    if (narrowed === undefined) {
      const none = { dryRun: options.dryRun ?? false, items: [], counts: { replayed: 0, failedAgain: 0 } };
      return summary({ ...none, stats: new Stats(), interrupted: false, startedAt, clock });
    }
    filter = narrowed;
  }
  const total = await countReplayable(store, config, filter);
  const items: ReplayItemOutcome[] = [];
  const counts = { replayed: 0, failedAgain: 0 };
  const progress = () => options.onProgress?.({ done: items.length, total, ...counts });
  const selection = store.failed.replayablePages(replaySelection(config, filter), pageSize);

  if (options.dryRun) {
    for await (const found of selection)
      for (const item of found) items.push({ ...identity(item), outcome: 'skipped' });
    progress();
    return summary({ dryRun: true, items, counts, stats: new Stats(), interrupted: false, startedAt, clock });
  }

  const stats = new Stats();
  const journal = new Journal();
  const publishers = new SinkPublishers({
    store,
    config,
    journal,
    clock,
    stats,
    ...(options.sink === undefined ? {} : { sink: options.sink }),
  });
  const replay = new PageReplay(options, clock, journal, publishers, stats);
  /** Keys this replay parked: those items are new failures, not ones to replay now. */
  const parkedHere = new Set<string>();
  let interrupted = false;
  try {
    let page: ReplayableMessage[] = [];
    /** The previous page's writes: one page is written while the next one is replayed. */
    let writing: Promise<void> = Promise.resolve();
    const settle = async () => {
      const { outcomes, replayed, written } = await replay.run(page, parkedHere);
      page = [];
      await writing;
      writing = written.then(() => {
        for (const outcome of outcomes) items.push(outcome);
        counts.replayed += replayed;
        counts.failedAgain += outcomes.length - replayed;
        progress();
      });
    };
    pages: for await (const found of selection) {
      for (const item of found) {
        if (options.signal?.aborted) {
          interrupted = true;
          break pages;
        }
        if (parkedHere.has(item.key)) continue;
        page.push(item);
        if (page.length < pageSize) continue;
        await settle();
      }
    }
    // A drain finishes the page in flight and leaves the one being gathered as it is (pending).
    if (page.length > 0) {
      if (options.signal?.aborted) interrupted = true;
      else await settle();
    }
    await writing;
  } finally {
    await publishers.close();
    await store.flush(journal.take());
  }
  return summary({ dryRun: false, items, counts, stats, interrupted, startedAt, clock });
}

interface SummaryParts {
  readonly dryRun: boolean;
  readonly items: readonly ReplayItemOutcome[];
  readonly counts: { readonly replayed: number; readonly failedAgain: number };
  readonly stats: Stats;
  readonly interrupted: boolean;
  readonly startedAt: number;
  readonly clock: Clock;
}

function summary(parts: SummaryParts): ReplayFailedSummary {
  const { items, counts, stats } = parts;
  return {
    dryRun: parts.dryRun,
    selected: items.length,
    replayed: counts.replayed,
    failedAgain: counts.failedAgain,
    skipped: items.filter((i) => i.outcome === 'skipped').length,
    runs: { succeeded: stats.runs.succeeded, failed: stats.runs.failed, skipped: stats.skippedRuns },
    delivered: stats.delivered,
    interrupted: parts.interrupted,
    durationMs: parts.clock.now() - parts.startedAt,
    items,
  };
}
