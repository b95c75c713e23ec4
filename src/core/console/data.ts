import { hostname } from 'node:os';
import { type Clock, systemClock } from '../clock.js';
import { NotFoundError } from '../errors/not-found-error.js';
import { UsageError } from '../errors/usage-error.js';
import type { Effort } from '../model/effort.js';
import type { RunRecord } from '../model/run-record.js';
import type { SinkStatus, StatusSnapshot } from '../model/status-snapshot.js';
import { redactedFailed } from '../ops/failed-items.js';
import { listRuns } from '../ops/runs/list-runs.js';
import { type RunDetail, runDetail } from '../ops/runs/run-detail.js';
import { redactedRunDetail } from '../ops/runs/run-json.js';
import { type AgentStatus, agentStatus, isAlive, type PartitionRow, partitionRows } from '../ops/status.js';
import { withStalls } from '../ops/status-health.js';
import type { PartitionStatus } from '../sources/source.js';
import type { AgentRecord, FailedMessage } from '../store/records.js';
import type { RunCount, StateStore } from '../store/state-store.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import { VERSION } from '../version.js';
import { type FailedPage, FailedWindow } from './failed-window.js';
import { Paced } from './pacing.js';
import type { PartitionPeek, PartitionPeeker, PartitionRef } from './partition-peek.js';
import { LiveAttempts, type RetryRow, stepRetries } from './retries.js';

/** The agent running in this process (`consume --tui`): read live instead of through its heartbeat. */
export interface LiveAgent {
  readonly id: string;
  readonly telemetry: Telemetry;
  snapshot(): Promise<StatusSnapshot>;
  requestDrain(): void;
}

/** A source asked directly for where its partitions stand (latest position, lag, queue depth). */
/** A source's partitions as the consumer group `group` stands in them. */
export interface ProbedSource {
  readonly sourceId: string;
  readonly group: string;
  readonly partitions: readonly PartitionStatus[];
}

export interface SourceProbe {
  describe(): Promise<ProbedSource>;
}

export interface ConsoleAgent extends AgentStatus {
  readonly group: string;
  /** Events per second, oldest first: the last samples of the agent’s snapshot. */
  readonly throughput: readonly number[];
  /** Share of done messages that were parked. */
  readonly errorRate?: number;
  readonly runner?: StatusSnapshot['runner'];
}

export interface ConsolePartition extends PartitionRow {
  /** Stable identity of the row (group, source, partition). */
  readonly key: string;
  /** The source's id (never a URI with credentials): what checkpoint actions act on. */
  readonly sourceId: string;
  /** Recent lag (records, else ms, else ready depth), oldest first, about one sample a second. */
  readonly lagHistory: readonly number[];
}

/** What the console panes show at one moment. */
export interface ConsoleView {
  readonly takenAt: number;
  readonly store: { readonly kind: string; readonly location: string };
  readonly agents: readonly ConsoleAgent[];
  readonly partitions: readonly ConsolePartition[];
  readonly runs: {
    readonly byProcess: readonly RunCount[];
    /** Most recently updated first. */
    readonly recent: readonly RunRecord[];
    /** The run asked for in the query, read whole (its steps). */
    readonly selected?: RunRecord;
  };
  readonly retries: {
    readonly efforts: readonly Effort[];
    readonly steps: readonly RetryRow[];
    readonly sinks: readonly (SinkStatus & { readonly agent: string })[];
  };
  readonly failed: FailedPage & { readonly byReason: Readonly<Record<string, number>> };
}

/** What the panes ask for beyond the defaults: the failed page on screen and the selected run. */
export interface ConsoleQuery {
  readonly failed: { readonly search?: string; readonly top: number; readonly limit: number };
  readonly runId?: string;
  /** The selected run's event id: finds a run of the ledger without a scan (see `RunStore.get`). */
  readonly runEventId?: string;
  /** The pane on screen: what it shows is read every load, the rest less often. */
  readonly focus?: 'partitions' | 'processes' | 'retries' | 'failed';
}

export interface ConsoleFeedOptions {
  readonly store: StateStore;
  /** Only this agent group (default: every group). */
  readonly group?: string;
  readonly agent?: LiveAgent;
  readonly probe?: SourceProbe;
  /** Reads the records around a partition's checkpoint (`p`); without it the console cannot peek. */
  readonly peeker?: PartitionPeeker;
  readonly clock?: Clock;
  /** An agent is alive when it heartbeated within this (default 15 s). */
  readonly aliveWithinMs?: number;
  /** Recent runs read per load (default 50) and efforts (default 30). */
  readonly recentRuns?: number;
  readonly recentEfforts?: number;
}

/** Samples kept for sparklines (lag per partition, throughput per agent). */
const HISTORY = 20;
/** Queries a load may repeat are held to this share of wall time (see `Paced`). */
const SHARE = 0.01;
/** Data of panes not on screen (recent runs) is re-read at most this often. */
const BACKGROUND_MS = 5_000;

/**
 * Reads what the console shows, cheaply enough to do every second: every query is bounded (limits,
 * keyset pages, indexed counts). The counts (runs by state, failed by reason) are `status`'s queries,
 * read at every load so that they never lag the store; the console stretches its interval when loads
 * grow costly (`refreshInterval`). Searches and the source probe are re-run only as often as their
 * measured cost allows. Keeps the little state that
 * spans loads: lag history per partition, and the live agent's recent failed attempts.
 */
export class ConsoleFeed {
  private readonly clock: Clock;
  private readonly lagHistory = new Map<string, { at: number; values: number[] }>();
  private readonly attempts: LiveAttempts;
  private readonly unsubscribe: (() => void) | undefined;
  private readonly recent: Paced<RunRecord[]>;
  private readonly probed: Paced<ProbedSource>;
  /** The probed source's id, once known: no need to probe while a live agent reports it. */
  private probedId: string | undefined;
  private readonly window: FailedWindow;

  constructor(private readonly options: ConsoleFeedOptions) {
    this.clock = options.clock ?? systemClock;
    const paced = <T>(minMs: number) => new Paced<T>({ minMs, share: SHARE, clock: this.clock });
    this.recent = paced(BACKGROUND_MS);
    this.probed = paced(5_000);
    this.window = new FailedWindow(options.store.failed, paced(0));
    this.attempts = new LiveAttempts(this.clock);
    this.unsubscribe = options.agent?.telemetry.on('attempt', (e) => this.attempts.record(e));
  }

  async load(query: ConsoleQuery): Promise<ConsoleView> {
    const { store, group } = this.options;
    const now = this.clock.now();
    const within = this.options.aliveWithinMs ?? 15_000;
    const records = await this.agentRecords(now);
    const byGroup = group === undefined ? {} : { group };
    const shown = (pane: ConsoleQuery['focus']) => query.focus === pane;
    const failedFilter = {
      status: 'pending' as const,
      ...byGroup,
      ...(query.failed.search ? { search: query.failed.search } : {}),
    };
    const [rows, byProcess, recent, selected, efforts, failed, byReason] = await Promise.all([
      partitionRows(store, records, now, within, group),
      // Counts are what `status` counts, read at every load: the console's pace bounds their cost.
      store.runs.countByState(group),
      // A pane coming on screen reads afresh (the key changes), then as often as its cost allows.
      this.recent.get(
        `${group ?? ''}\n${shown('processes') || shown('retries') ? 'shown' : 'background'}`,
        () => this.recentRuns(),
        shown('processes') || shown('retries') ? 0 : undefined,
      ),
      query.runId === undefined ? undefined : store.runs.get(query.runId, query.runEventId),
      store.efforts.list({ limit: this.options.recentEfforts ?? 30 }),
      this.window.load(failedFilter, query.failed.top, query.failed.limit),
      store.failed.countByReason(group),
    ]);
    const alive = records.filter((a) => isAlive(a, now, within));
    return {
      takenAt: now,
      store: { kind: store.kind, location: store.location },
      agents: records
        .map((a) => consoleAgent(a, now, within))
        .sort((a, b) => Number(b.alive) - Number(a.alive)),
      partitions: this.withHistory(withStalls(await this.withProbe(rows, alive), alive, now), records, now),
      runs: { byProcess, recent, ...(selected === undefined ? {} : { selected }) },
      retries: {
        efforts,
        steps: this.attempts.merged(stepRetries(recent)),
        sinks: alive.flatMap((a) => (a.snapshot?.sinks ?? []).map((s) => ({ ...s, agent: a.id }))),
      },
      failed: { ...failed, byReason },
    };
  }

  /** One parked message whole, for the detail view (secrets redacted as `failed show` does). */
  async failedItem(id: number): Promise<FailedMessage | undefined> {
    const item = await this.options.store.failed.get(id);
    return item === undefined ? undefined : redactedFailed(item);
  }

  /**
   * One run whole, as `runs show` reads it (`runDetail`: steps with every attempt, efforts, parked items,
   * the event), secrets redacted; undefined when the store no longer has it.
   */
  async runDetail(id: string, eventId?: string): Promise<RunDetail | undefined> {
    try {
      return redactedRunDetail(await runDetail(this.options.store, id, eventId));
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  /** The records around a partition's checkpoint, read without touching the source (see `PartitionPeeker`). */
  peekAround(ref: PartitionRef, signal?: AbortSignal): Promise<PartitionPeek> {
    const { peeker } = this.options;
    if (peeker === undefined) return Promise.reject(new UsageError('this console has no source to peek'));
    return peeker.around(ref, signal);
  }

  /** Makes the next load re-read everything (after an action changed the store). */
  invalidate(): void {
    for (const paced of [this.recent, this.probed]) paced.invalidate();
    this.window.reset();
  }

  close(): void {
    this.unsubscribe?.();
  }

  /** The store's agents, with the live agent's fresh snapshot in place of its last heartbeat. */
  private async agentRecords(now: number): Promise<AgentRecord[]> {
    const { store, group, agent } = this.options;
    const records = await store.agents.list(group === undefined ? {} : { group });
    if (agent === undefined) return records;
    const snapshot = await agent.snapshot();
    const stored = records.find((r) => r.id === agent.id);
    const live: AgentRecord = {
      id: agent.id,
      name: snapshot.name,
      group: stored?.group ?? snapshot.name,
      host: stored?.host ?? hostname(),
      pid: stored?.pid ?? process.pid,
      source: snapshot.source.id,
      startedAt: snapshot.startedAt,
      version: stored?.version ?? VERSION,
      state: snapshot.state,
      heartbeatAt: now,
      snapshot,
    };
    return [live, ...records.filter((r) => r.id !== agent.id)];
  }

  private async recentRuns(): Promise<RunRecord[]> {
    const { store, group } = this.options;
    const limit = this.options.recentRuns ?? 50;
    // `runs list`'s service; a group's runs are looked for among the newest 2 × limit only, to stay cheap.
    const { runs } = await listRuns(store, {
      ...(group === undefined ? {} : { group }),
      limit,
      maxScan: limit * 2,
    });
    return runs;
  }

  /** Fills in partitions no live agent reports from the source itself, at a pace its cost allows. */
  private async withProbe(
    rows: readonly PartitionRow[],
    alive: readonly AgentRecord[],
  ): Promise<PartitionRow[]> {
    const { probe } = this.options;
    const reported = (id: string | undefined) => alive.some((a) => a.snapshot?.source.id === id);
    if (probe === undefined || (this.probedId !== undefined && reported(this.probedId))) return [...rows];
    const described = await this.probed.get('probe', () => probe.describe()).catch(() => undefined);
    if (described === undefined) return [...rows];
    this.probedId = described.sourceId;
    if (reported(described.sourceId)) return [...rows];
    const merged = [...rows];
    const { sourceId, group } = described;
    for (const status of described.partitions) {
      const base = { group, source: sourceId, ...status };
      const at = merged.findIndex(
        (r) => r.group === group && r.source === sourceId && r.partition === status.partition,
      );
      if (at < 0) merged.push({ ...base, state: 'unassigned' });
      else merged[at] = { ...merged[at]!, ...base, state: merged[at]!.state };
    }
    return merged;
  }

  private withHistory(
    rows: readonly PartitionRow[],
    records: readonly AgentRecord[],
    now: number,
  ): ConsolePartition[] {
    const sourceOf = new Map(records.map((a) => [a.id, a.snapshot?.source.id ?? a.source]));
    return rows.map((row) => {
      const sourceId = (row.agent === undefined ? undefined : sourceOf.get(row.agent)) ?? row.source;
      const key = `${row.group}\u0000${sourceId}\u0000${row.partition}`;
      const sample = row.lagRecords ?? row.lagMs ?? row.depth?.ready;
      let history = this.lagHistory.get(key);
      if (history === undefined) {
        history = { at: Number.NEGATIVE_INFINITY, values: [] };
        this.lagHistory.set(key, history);
      }
      if (sample !== undefined && now - history.at >= 1_000) {
        history.values = [...history.values.slice(1 - HISTORY), sample];
        history.at = now;
      }
      return { ...row, key, sourceId, lagHistory: history.values };
    });
  }
}

function consoleAgent(record: AgentRecord, now: number, within: number): ConsoleAgent {
  const snapshot = record.snapshot;
  return {
    ...agentStatus(record, now, within),
    group: record.group,
    throughput: snapshot?.throughput.history.slice(-HISTORY) ?? [],
    ...(snapshot === undefined ? {} : { errorRate: snapshot.errorRate, runner: snapshot.runner }),
  };
}
