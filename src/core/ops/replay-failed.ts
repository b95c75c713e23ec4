import { hostname } from 'node:os';
import { type Clock, systemClock } from '../clock.js';
import type { AgentConfig } from '../config/agent-config.js';
import { describeError } from '../errors/agentctl-error.js';
import { type CloudEvent, decodeCloudEvent } from '../events/cloud-event.js';
import { type ProcessDefinition, ProcessRegistry } from '../processes/process.js';
import type { Publisher } from '../publish/publisher.js';
import { redactSecrets } from '../redact.js';
import { RuleSet } from '../rules/rule-set.js';
import { InlineRunner } from '../runners/inline-runner.js';
import { Journal } from '../store/journal.js';
import type { FailedFilter, FailedKind, ReplayableMessage } from '../store/records.js';
import type { StateStore } from '../store/state-store.js';
import { CommitOffsets } from '../strategies/commit-offsets.js';
import { Decode } from '../strategies/decode.js';
import { type Dispatch, DispatchProcesses } from '../strategies/dispatch-processes.js';
import { EvaluateRules } from '../strategies/evaluate-rules.js';
import { ParkFailedRuns } from '../strategies/park-failed-runs.js';
import {
  type Commit,
  InvalidMessage,
  MessageRejected,
  type ProcessingStrategy,
} from '../strategies/processing-strategy.js';
import { Produce } from '../strategies/produce.js';
import { Stats } from '../telemetry/stats.js';
import type { Bytes, FailureReason, Message } from '../types.js';
import { requireFailedIds } from './failed-items.js';
import { type Opened, SinkPublishers, SinkUnavailable } from './sink-publishers.js';

export interface ReplayFailedOptions {
  readonly store: StateStore;
  /** The agent whose rules, processes, decoder and sink replay the items; only its items are selected. */
  readonly config: AgentConfig;
  /** Which items (`ids`, `reason`, `rule`, `since`, `limit`, …); `status` defaults to `pending`. */
  readonly filter?: FailedFilter;
  /** Select and report, change nothing. */
  readonly dryRun?: boolean;
  /** Called after each page of items is settled in the store. */
  readonly onProgress?: (progress: ReplayProgress) => void;
  /** Stops after the page in progress (what is settled stays settled). */
  readonly signal?: AbortSignal;
  readonly clock?: Clock;
  /** Items replayed, then settled in the store, together (default 500). */
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

/** How a replayed item ended: its event processed, matched by no rule any more, or its record delivered. */
export type ReplayedAs = 'processed' | 'unmatched' | 'delivered';

export interface ReplayItemOutcome {
  readonly id: number;
  readonly kind: FailedKind;
  readonly reason: FailureReason;
  /** `replayed` (now marked so), `failed` (still pending, one more failure recorded), `skipped` (dry run). */
  readonly outcome: 'replayed' | 'failed' | 'skipped';
  readonly as?: ReplayedAs;
  readonly error?: string;
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

const DEFAULT_PAGE_SIZE = 500;
/** Carries the failed item's id through the strategy chain (attributes survive every step). */
const ITEM_ATTRIBUTE = 'agentctl.replay.item';
const PUBLISH_KEY_PREFIX = 'publish/';

/** The items a replay with `filter` takes: pending ones of the agent unless a status is given. */
export function replaySelection(config: AgentConfig, filter: FailedFilter = {}): FailedFilter {
  return { status: 'pending', group: config.name, ...filter };
}

/**
 * How many items `replayFailed` would take with these options (for a confirmation prompt).
 * @throws NotFoundError when `filter.ids` names an item that does not exist.
 */
export async function countReplayable(
  store: StateStore,
  config: AgentConfig,
  filter: FailedFilter = {},
): Promise<number> {
  await requireFailedIds(store, filter.ids ?? []);
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
  const filter = options.filter ?? {};
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  const total = await countReplayable(store, config, filter);
  const items: ReplayItemOutcome[] = [];
  const counts = { replayed: 0, failedAgain: 0 };
  const progress = () => options.onProgress?.({ done: items.length, total, ...counts });
  const selection = store.failed.iterateReplayable(replaySelection(config, filter), pageSize);

  if (options.dryRun) {
    for await (const item of selection) items.push({ ...identity(item), outcome: 'skipped' });
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
      const { outcomes, written } = await replay.run(page, parkedHere);
      page = [];
      await writing;
      writing = written.then(() => {
        const replayed = outcomes.filter((o) => o.outcome === 'replayed').map((o) => o.id);
        items.push(...outcomes);
        counts.replayed += replayed.length;
        counts.failedAgain += outcomes.length - replayed.length;
        progress();
      });
    };
    for await (const item of selection) {
      if (parkedHere.has(item.key)) continue;
      page.push(item);
      if (page.length < pageSize) continue;
      await settle();
      if (options.signal?.aborted) {
        interrupted = true;
        break;
      }
    }
    if (page.length > 0) await settle();
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

function identity(item: ReplayableMessage): Pick<ReplayItemOutcome, 'id' | 'kind' | 'reason'> {
  return { id: item.id, kind: item.kind, reason: item.reason };
}

type Outcome = { readonly as: ReplayedAs } | { readonly error: string };

/** Replays one page of items and returns their outcomes, once the page's journal is flushed. */
class PageReplay {
  private readonly rules: RuleSet;
  private readonly processes: ProcessRegistry;
  private readonly runner: InlineRunner;
  private readonly worker = `replay@${hostname()}#${process.pid}`;

  constructor(
    private readonly options: ReplayFailedOptions,
    private readonly clock: Clock,
    private readonly journal: Journal,
    private readonly publishers: SinkPublishers,
    private readonly stats: Stats,
  ) {
    const { config } = options;
    this.rules = new RuleSet(config.rules ?? []);
    this.processes = new ProcessRegistry(
      (config.processes ?? []) as readonly ProcessDefinition<CloudEvent, never>[],
    );
    this.runner = new InlineRunner({ clock, journal, stats });
  }

  /**
   * Replays a page; returns its outcomes at once, and `written`, which settles once the page's runs,
   * efforts and parkings are in the store (the caller sets statuses after it, while the next page runs).
   */
  async run(
    page: readonly ReplayableMessage[],
    parkedHere: Set<string>,
  ): Promise<{ outcomes: ReplayItemOutcome[]; written: Promise<void> }> {
    const outcomes = new Map<number, Outcome>();
    const records = page.filter((item) => item.kind === 'record');
    const events = page.filter((item) => item.kind !== 'record');
    const bySource = new Map<string, ReplayableMessage[]>();
    for (const item of events) {
      const group = bySource.get(item.source);
      if (group === undefined) bySource.set(item.source, [item]);
      else group.push(item);
    }
    /** Keys under which the publisher parks the records replayed here: those items exist already. */
    const replaying = new Set(records.map((item) => item.key));
    await Promise.all([
      ...[...bySource].map(([source, items]) => this.replayEvents(source, items, outcomes)),
      this.republish(records, replaying, outcomes),
    ]);
    const batch = this.journal.take();
    const parked = batch.parked.filter((p) => !replaying.has(p.key));
    for (const p of parked) parkedHere.add(p.key);
    const outcomesOfPage: ReplayItemOutcome[] = page.map((item) => {
      const outcome = outcomes.get(item.id) ?? {
        error: 'not replayed: the pipeline ended without an outcome',
      };
      return 'as' in outcome
        ? { ...identity(item), outcome: 'replayed', as: outcome.as }
        : { ...identity(item), outcome: 'failed', error: outcome.error };
    });
    const at = this.clock.now();
    const written = this.options.store.flush({
      ...batch,
      parked,
      replayed: outcomesOfPage.filter((o) => o.outcome === 'replayed').map((o) => o.id),
      refailed: outcomesOfPage.flatMap((o) =>
        o.outcome === 'failed'
          ? [{ id: o.id, attempt: { at, error: o.error ?? 'failed', via: 'replay' } }]
          : [],
      ),
    });
    return { outcomes: outcomesOfPage, written: written.then(() => undefined) };
  }

  /** Runs events of one source through decode → rules → processes → publish → done. */
  private async replayEvents(
    source: string,
    items: readonly ReplayableMessage[],
    outcomes: Map<number, Outcome>,
  ): Promise<void> {
    const publisher = await this.publishers.agentSink();
    if (publisher instanceof SinkUnavailable) {
      for (const item of items) outcomes.set(item.id, { error: publisher.message });
      return;
    }
    const done = new AbortController();
    const chain = this.chain(source, publisher, outcomes, done.signal);
    for (const item of items) {
      const message: Message<Bytes> = {
        partition: item.partition,
        position: item.position,
        payload: item.raw,
        raw: item.raw,
        timestamp: item.timestamp,
        attributes: { [ITEM_ATTRIBUTE]: item.id },
      };
      for (;;) {
        try {
          chain.submit(message);
          break;
        } catch (error) {
          if (!(error instanceof MessageRejected)) throw error;
          await (chain.poll() ?? this.clock.sleep(1));
        }
      }
    }
    chain.close();
    try {
      await chain.join();
    } finally {
      done.abort();
    }
  }

  private chain(
    source: string,
    publisher: Publisher | undefined,
    outcomes: Map<number, Outcome>,
    signal: AbortSignal,
  ): ProcessingStrategy<Bytes> {
    const { config, store } = this.options;
    const commit: Commit = (message, outcome) =>
      outcomes.set(itemOf(message), { as: outcome === 'unmatched' ? 'unmatched' : 'processed' });
    const now = () => this.clock.now();
    let tail: ProcessingStrategy<Dispatch> = new ParkFailedRuns(new CommitOffsets(commit));
    if (publisher !== undefined) {
      tail = new Produce<Dispatch>(publisher, { recordsOf: (d) => d.records, clock: this.clock }, tail);
    }
    // No `efforts`: a succeeded run's record that was not delivered is an item of its own (reason
    // `publish`), replayed as such — publishing it again here would deliver it twice.
    const dispatch = new DispatchProcesses(
      {
        runner: this.runner,
        processes: this.processes,
        runs: store.runs,
        journal: this.journal,
        group: config.name,
        source,
        worker: this.worker,
        now,
        signal,
        stats: this.stats,
      },
      tail,
    );
    const evaluate = new EvaluateRules(this.rules, commit, dispatch, { now });
    const decode = new Decode(config.decode ?? decodeCloudEvent, evaluate);
    return new RecordFailures(decode, (error) => {
      const cause = error.cause;
      outcomes.set(itemOf(error.subject), {
        error: cause === undefined ? redactSecrets(error.message) : describeError(cause),
      });
    });
  }

  /**
   * Publishes parked records again, each to the sink it was meant for (see `SinkPublishers.forRecord`),
   * in item order (the publisher keeps that order per record key). The sinks are looked up once per
   * distinct sink of the page, then every record is handed to its publisher in one synchronous pass, so
   * that the publisher sends the page in as few batches as its sink takes.
   */
  private async republish(
    records: readonly ReplayableMessage[],
    replaying: Set<string>,
    outcomes: Map<number, Outcome>,
  ): Promise<void> {
    const sinks = new Map<string, Promise<Opened>>();
    const sinkOf = (item: ReplayableMessage) => `${item.sinkRef ?? ''}\n${item.sink ?? ''}`;
    for (const item of records) {
      const key = sinkOf(item);
      if (!sinks.has(key)) sinks.set(key, this.publishers.forRecord(item));
    }
    const opened = new Map<string, Opened>();
    await Promise.all([...sinks].map(async ([key, publisher]) => opened.set(key, await publisher)));
    const efforts: Promise<unknown>[] = [];
    for (const item of records) {
      const sink = item.sink ?? '';
      const publisher = opened.get(sinkOf(item));
      if (publisher === undefined) {
        outcomes.set(item.id, { error: `sink ${sink || '(none)'} is not available (the sink is none)` });
        continue;
      }
      if (publisher instanceof SinkUnavailable) {
        outcomes.set(item.id, { error: publisher.message });
        continue;
      }
      const prefix = `${PUBLISH_KEY_PREFIX}${sink}/`;
      const id = item.key.startsWith(prefix)
        ? item.key.slice(prefix.length)
        : (item.runId ?? `failed-${item.id}`);
      replaying.add(`${PUBLISH_KEY_PREFIX}${publisher.sink}/${id}`);
      const effort = publisher.publish({
        id,
        value: item.raw,
        timestamp: item.timestamp,
        ...(item.recordKey === undefined ? {} : { key: item.recordKey }),
        ...(item.headers === undefined ? {} : { headers: item.headers }),
        ...(item.runId === undefined ? {} : { runId: item.runId }),
        origin: { source: item.source, partition: item.partition, position: item.position },
      });
      efforts.push(
        effort.then((done) =>
          outcomes.set(
            item.id,
            done.culmination === 'delivered'
              ? { as: 'delivered' }
              : { error: done.lastError ?? `not delivered to ${sink}` },
          ),
        ),
      );
    }
    await Promise.all(efforts);
  }
}

function itemOf(message: Message<unknown>): number {
  return Number(message.attributes[ITEM_ATTRIBUTE]);
}

/**
 * Wraps a replay chain: an `InvalidMessage` thrown by `submit`, `poll` or `join` below is handed to
 * `onInvalid` (which records it on the item being replayed) instead of being parked as a new item.
 */
class RecordFailures implements ProcessingStrategy<Bytes> {
  constructor(
    private readonly next: ProcessingStrategy<Bytes>,
    private readonly onInvalid: (error: InvalidMessage) => void,
  ) {}

  submit(message: Message<Bytes>): void {
    try {
      this.next.submit(message);
    } catch (error) {
      if (!(error instanceof InvalidMessage)) throw error;
      this.onInvalid(error);
    }
  }

  poll(): Promise<void> | undefined {
    let pending: Promise<void> | undefined;
    try {
      pending = this.next.poll();
    } catch (error) {
      if (!(error instanceof InvalidMessage)) throw error;
      this.onInvalid(error);
      return this.poll();
    }
    return pending?.then(undefined, (error: unknown) => {
      if (!(error instanceof InvalidMessage)) throw error;
      this.onInvalid(error);
      return this.poll();
    });
  }

  close(): void {
    this.next.close();
  }

  async join(timeoutMs?: number): Promise<void> {
    for (;;) {
      try {
        await this.next.join(timeoutMs);
        return;
      } catch (error) {
        if (!(error instanceof InvalidMessage)) throw error;
        this.onInvalid(error);
      }
    }
  }

  terminate(): void {
    this.next.terminate();
  }
}
