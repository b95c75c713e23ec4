import type { Culmination, Effort } from '../model/effort.js';
import type { RunRecord, RunState } from '../model/run-record.js';
import type { StatusSnapshot } from '../model/status-snapshot.js';
import type { ProcessingStateName } from '../state/processing-state.js';
import type { Bytes, Partition } from '../types.js';
import type { JournalBatch } from './journal.js';
import type {
  AgentRecord,
  Checkpoint,
  CheckpointMove,
  CheckpointMoveWrite,
  CheckpointWrite,
  ControlKind,
  ControlRequest,
  ControlStatus,
  FailedEdit,
  FailedFilter,
  FailedMessage,
  FailedStatus,
  FailureAttempt,
  Lease,
  LogAppend,
  LogBounds,
  LogRecord,
  ReplayableMessage,
  TopicInfo,
} from './records.js';

/** How a flush is to be written (see `StateStore.flush`). */
export interface FlushOptions {
  /**
   * The caller goes on reading and processing while the flush is written, and more than one of its
   * flushes may be under way (a queue consumer acking what each flush made durable): a store that can
   * write in the background does so whatever the flush's size, so that the caller's thread never waits
   * on the write (nor on another process's write lock). Without it, a small flush may be written on the
   * caller's thread, which costs less than handing it over.
   */
  readonly background?: boolean;
}

/**
 * The agent's durable state: checkpoints, leases, the failed store, process runs, publish efforts, agents
 * and their control requests, and the embedded local log. One port, two adapters: SQLite (the embedded
 * default, one file) and PostgreSQL (fleet mode). Both pass the same contract suite.
 *
 * Every method may be called by several processes sharing the store at once; the adapter makes each
 * call atomic. Times are milliseconds since the epoch from the store's clock. Hot paths go through
 * `flush` (one transaction per batch); nothing here is meant to be called once per message.
 */
export interface StateStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Where the store lives, with credentials redacted. */
  readonly location: string;

  /**
   * Writes a journal batch (full runs, ledger runs, efforts, parked messages) and checkpoints in one
   * transaction. A checkpoint write whose fence no longer
   * holds (the lease changed hands) is skipped and reported in `rejected`; the rest is written.
   * Parked messages with a key already present update that item (attempts + 1, history extended,
   * status back to pending).
   */
  flush(
    batch: JournalBatch,
    checkpoints?: readonly CheckpointWrite[],
    options?: FlushOptions,
  ): Promise<FlushResult>;

  /**
   * Optional: settles, now, the flushes that finished in the background (on a writer thread) but whose
   * answers wait for the event loop to come round. A caller that keeps the loop busy on microtasks for
   * long stretches (the processor between polls) calls it so that a finished flush is acted on at once.
   * Synchronous and cheap when nothing is pending; an adapter without background flushes leaves it out.
   */
  collectFlushes?(): void;

  readonly checkpoints: CheckpointStore;
  readonly leases: LeaseStore;
  readonly failed: FailedStore;
  readonly runs: RunStore;
  readonly efforts: EffortStore;
  readonly agents: AgentStore;
  readonly control: ControlStore;
  readonly log: LogStore;

  /** Releases connections and file handles. Idempotent. */
  close(): Promise<void>;
}

export interface FlushResult {
  /** Checkpoint writes refused because their fence failed. */
  readonly rejected: readonly CheckpointWrite[];
}

export interface CheckpointFilter {
  readonly group?: string;
  readonly source?: string;
}

export interface CheckpointStore {
  /** Checkpoints of one group and source, by partition (all partitions when `partitions` is omitted). */
  get(group: string, source: string, partitions?: readonly Partition[]): Promise<Map<Partition, Checkpoint>>;
  list(filter?: CheckpointFilter): Promise<Checkpoint[]>;
  /** Sets checkpoints outside the hot path (operator `checkpoint set`); fenced writes as in `flush`. */
  set(writes: readonly CheckpointWrite[]): Promise<FlushResult>;
  /** Deletes checkpoints (all partitions when omitted); returns how many. */
  delete(group: string, source: string, partitions?: readonly Partition[]): Promise<number>;
  /**
   * Applies an operator's moves and appends them to the checkpoint history, in one transaction: each
   * move's `after` is written (unfenced, `owner` as its writer), or its checkpoint deleted when `after`
   * is absent. Returns the history entries written, in order.
   */
  move(moves: readonly CheckpointMoveWrite[], owner: string): Promise<CheckpointMove[]>;
  /** The checkpoint history, newest first. */
  history(filter?: CheckpointHistoryFilter): Promise<CheckpointMove[]>;
}

export interface CheckpointHistoryFilter {
  readonly group?: string;
  readonly source?: string;
  readonly partition?: Partition;
  /** Most entries (the newest); all when omitted. */
  readonly limit?: number;
}

export interface LeaseRequest {
  readonly group: string;
  readonly source: string;
  readonly partition: Partition;
  readonly owner: string;
  readonly ttlMs: number;
  /**
   * A holder known to be dead (its process is gone): the lease is taken even before it expires, if it is
   * still held by exactly this owner and counter. The counter increases, so the old holder is fenced.
   */
  readonly takeFrom?: { readonly owner: string; readonly counter: number };
}

export interface LeaseStore {
  /** The leases of one group on a source (every group's when `group` is undefined), held or not. */
  list(group: string | undefined, source: string): Promise<Lease[]>;
  /**
   * Takes the lease if it is free, released, expired, or already this owner's; returns it, or
   * `undefined` if another owner holds it. The counter increases whenever the owner changes. The check
   * and the write are one atomic step, and expiry is judged by the store's clock.
   */
  acquire(request: LeaseRequest): Promise<Lease | undefined>;
  /** Extends a held lease; `undefined` when it was lost (owner or counter changed). */
  renew(lease: Lease, ttlMs: number): Promise<Lease | undefined>;
  /** Gives a held lease up (keeps its counter); no-op when no longer held. */
  release(lease: Lease): Promise<void>;
}

export interface FailedStore {
  list(filter?: FailedFilter): Promise<FailedMessage[]>;
  get(id: number): Promise<FailedMessage | undefined>;
  count(filter?: FailedFilter): Promise<number>;
  /** Counts of pending items by reason. */
  countByReason(group?: string): Promise<Record<string, number>>;
  /** Sets the status of items; returns how many changed. */
  setStatus(ids: readonly number[], status: FailedStatus): Promise<number>;
  /** Records one more failed try of an item (a failed replay): attempts + 1, history extended. */
  recordFailure(id: number, attempt: FailureAttempt): Promise<void>;
  /**
   * Marks a pending item `replayed` once its origin confirmed its redrive, adding `entry` (where it went)
   * to its history, in one durable write. Returns false, changing nothing, when the item is not pending.
   */
  markRedriven(id: number, entry: FailureAttempt): Promise<boolean>;
  /**
   * Replaces a pending item's bytes with an edit, only while its bytes are still `expected` (an edit
   * made meanwhile is never overwritten): `raw` becomes `edit.raw`, `edit.entry` is appended to the
   * history, the event id and type are set when the edit gives them. Attempts, status, error and failure
   * times stay. Returns false, changing nothing, when the item is gone, not pending, or its bytes changed.
   */
  edit(id: number, expected: Bytes, edit: FailedEdit): Promise<boolean>;
  /** All items matching the filter, in id order, fetched in pages. */
  iterate(filter?: FailedFilter, pageSize?: number): AsyncIterable<FailedMessage>;
  /**
   * As `iterate`, with only the fields a replay uses: a page of these reads about half the columns and
   * parses no history.
   */
  iterateReplayable(filter?: FailedFilter, pageSize?: number): AsyncIterable<ReplayableMessage>;
  /** As `iterateReplayable`, a page (a non-empty list of up to `pageSize` items) at a time. */
  replayablePages(filter?: FailedFilter, pageSize?: number): AsyncIterable<ReplayableMessage[]>;
  /**
   * Deletes items that are settled (`replayed` or `discarded`) and were last touched (replayed, else last
   * failed) before `before` (ms). Pending items are never pruned. With `dryRun` only counts them.
   * Returns how many items were (or would be) deleted.
   */
  prune(before: number, dryRun?: boolean): Promise<number>;
}

export interface RunFilter {
  readonly group?: string;
  readonly state?: RunState;
  readonly process?: string;
  readonly eventId?: string;
  readonly limit?: number;
}

export interface RunCount {
  readonly process: string;
  readonly state: RunState;
  readonly count: number;
}

/** How a run is stored: a full row, or a compact ledger entry (a plain success; see `JournalBatch.ledger`). */
export type RunForm = 'full' | 'ledger';

export interface RunStore {
  /**
   * The recorded state of each id among `ids` that has a run (ids without one are absent). One query per
   * call, however many ids. `eventIds`, when given, holds the event id (`RunRecord.eventId`) of each run
   * id, in the same order: a store may find its runs by them (both adapters find ledger runs by event id,
   * and without them scan the ledger). Callers that have the events pass them.
   */
  lookup(ids: readonly string[], eventIds?: readonly string[]): Promise<Map<string, RunState>>;
  /** The run with this id; `eventId`, when known, finds it the way `lookup`'s `eventIds` do. */
  get(id: string, eventId?: string): Promise<RunRecord | undefined>;
  /** Most recently updated first. */
  list(filter?: RunFilter): Promise<RunRecord[]>;
  countByState(group?: string): Promise<RunCount[]>;
  /** Writes run records outside a flush (results reported by remote workers). */
  upsert(runs: readonly RunRecord[]): Promise<void>;
  /**
   * Every run stored in one form, in a stable order (full runs by id; ledger runs in the order of writing
   * or of their key), fetched in pages (keyset paging: runs written meanwhile neither shift pages nor
   * come twice). For copies and exports, not for the hot path.
   */
  iterate(form: RunForm, pageSize?: number): AsyncIterable<RunRecord>;
  /**
   * Deletes finished runs (succeeded or failed) older than `before` (ms): full runs by their last update,
   * ledger entries by the time they finished. Pending and running runs stay. A pruned run no longer marks its event as done: a redelivery
   * older than the cut runs again. With `dryRun` only counts. Returns how many runs.
   */
  prune(before: number, dryRun?: boolean): Promise<number>;
}

export interface EffortFilter {
  readonly culmination?: Culmination;
  readonly runId?: string;
  readonly limit?: number;
}

export interface EffortStore {
  /** Most recently updated first. */
  list(filter?: EffortFilter): Promise<Effort[]>;
  get(id: string): Promise<Effort | undefined>;
  /** Every effort, in id order, fetched in pages (keyset paging). For copies and exports. */
  iterate(pageSize?: number): AsyncIterable<Effort>;
  /**
   * Deletes culminated efforts (delivered or parked) last updated before `before` (ms); pending efforts
   * stay. With `dryRun` only counts. Returns how many.
   */
  prune(before: number, dryRun?: boolean): Promise<number>;
}

export interface AgentHeartbeat {
  readonly id: string;
  readonly name: string;
  readonly group: string;
  readonly host: string;
  readonly pid: number;
  readonly source: string;
  readonly state: ProcessingStateName;
  readonly startedAt: number;
  readonly version: string;
  readonly snapshot?: StatusSnapshot;
}

export interface AgentStore {
  /** Inserts or updates the agent; sets `heartbeatAt` to the store's now. */
  heartbeat(agent: AgentHeartbeat): Promise<AgentRecord>;
  get(id: string): Promise<AgentRecord | undefined>;
  /** Agents whose heartbeat is at most `aliveWithinMs` old (all agents when omitted), newest first. */
  list(filter?: { readonly group?: string; readonly aliveWithinMs?: number }): Promise<AgentRecord[]>;
  /** Removes agents whose last heartbeat is older than `olderThanMs`; returns how many. */
  prune(olderThanMs: number): Promise<number>;
}

export interface ControlStore {
  request(
    agentId: string,
    kind: ControlKind,
    args?: Readonly<Record<string, unknown>>,
  ): Promise<ControlRequest>;
  get(id: number): Promise<ControlRequest | undefined>;
  /** Pending requests for an agent, oldest first. */
  pending(agentId: string): Promise<ControlRequest[]>;
  update(id: number, status: ControlStatus, result?: Readonly<Record<string, unknown>>): Promise<void>;
  /** Every request, of one agent or of all, in any status, oldest first. */
  list(agentId?: string): Promise<ControlRequest[]>;
}

/**
 * The embedded local log: named topics of numbered partitions, each an append-only sequence of records
 * with offsets 0, 1, 2, … Appends are atomic per call, and readers see only committed appends.
 */
/** One partition's part of `LogStore.readMany`: up to `max` records with offset > `afterOffset`. */
export interface LogRead {
  readonly partition: number;
  readonly afterOffset: number;
  readonly max: number;
}

export interface LogStore {
  /** Creates the topic with `partitions` partitions if it does not exist; returns it as it is. */
  ensureTopic(topic: string, partitions: number): Promise<TopicInfo>;
  topic(name: string): Promise<TopicInfo | undefined>;
  topics(): Promise<TopicInfo[]>;
  /**
   * Appends records in one transaction, creating the topic (default partitions) if needed; a record goes
   * to its explicit partition, else the hash of its key, else round-robin. Returns each record's place,
   * in input order.
   */
  append(topic: string, records: readonly LogAppend[]): Promise<{ partition: number; offset: number }[]>;
  /** Up to `max` records with offset > `afterOffset`, in offset order. */
  read(topic: string, partition: number, afterOffset: number, max: number): Promise<LogRecord[]>;
  /**
   * Optional: what `read` gives for each of `reads`, in their order, in one call — for a store over the
   * network, one round trip instead of one per partition.
   */
  readMany?(topic: string, reads: readonly LogRead[]): Promise<LogRecord[][]>;
  bounds(topic: string, partition: number): Promise<LogBounds>;
  /** The first offset whose timestamp is ≥ `timestampMs`, or `latest + 1` when none is. */
  offsetAtTime(topic: string, partition: number, timestampMs: number): Promise<number>;
  /**
   * Deletes the partition's records at offsets ≤ `throughOffset` appended before `before` (ms). The
   * partition's last record always stays, so offsets go on from where they were. With `dryRun` only
   * counts. Returns how many records.
   */
  prune(
    topic: string,
    partition: number,
    throughOffset: number,
    before: number,
    dryRun?: boolean,
  ): Promise<number>;
}
