import type { StatusSnapshot } from '../model/status-snapshot.js';
import type { ProcessingStateName } from '../state/processing-state.js';
import type { Bytes, FailureReason, Partition, Position } from '../types.js';

/** A committed position: everything at or before `position` in the partition is done. */
export interface Checkpoint {
  readonly group: string;
  readonly source: string;
  readonly partition: Partition;
  readonly position: Position;
  readonly updatedAt: number;
  /** The agent that wrote it. */
  readonly owner?: string;
}

/** The proof of ownership a checkpoint write must carry when partitions are leased. */
export interface Fence {
  readonly owner: string;
  readonly counter: number;
}

export interface CheckpointWrite {
  readonly group: string;
  readonly source: string;
  readonly partition: Partition;
  readonly position: Position;
  readonly owner?: string;
  /** When set, the write only happens if this owner still holds the lease with this counter. */
  readonly fence?: Fence;
}

/**
 * A checkpoint move an operator executed (`checkpoint set|reset --execute`, the console): the history
 * keeps one per partition moved, never edited.
 */
export interface CheckpointMoveWrite {
  readonly group: string;
  readonly source: string;
  readonly partition: Partition;
  /** The checkpoint before; absent when there was none. */
  readonly before?: Position;
  /** The checkpoint after; absent when it was deleted (the partition is read from its start). */
  readonly after?: Position;
  /** Who: `AGENTCTL_ACTOR`, else the OS user and host (`alice@ops-1`). */
  readonly actor: string;
  /** Which command moved it (`checkpoint set --to-time -1h`, `tui`). */
  readonly command: string;
  /** Why, as the operator said it (`--reason`). */
  readonly reason?: string;
}

/** A move as the history holds it: numbered in write order and stamped by the store's clock. */
export interface CheckpointMove extends CheckpointMoveWrite {
  readonly id: number;
  readonly at: number;
}

/**
 * Ownership of a partition by one agent until `expiresAt`. `counter` increases every time the lease changes
 * hands, so a stale owner's writes are refused (fencing).
 */
export interface Lease {
  readonly group: string;
  readonly source: string;
  readonly partition: Partition;
  /** Empty string when released. */
  readonly owner: string;
  readonly counter: number;
  readonly expiresAt: number;
  readonly acquiredAt: number;
  readonly renewedAt: number;
}

export type FailedStatus = 'pending' | 'replayed' | 'discarded';

/** What the parked bytes are: a source event to re-run, or a result record to re-publish. */
export type FailedKind = 'event' | 'record';

/**
 * One entry of a parked message's history: a failure (the first, and each failed replay), or an edit of
 * its bytes (`via: 'edit'`, see `FailedEdit`).
 */
export interface FailureAttempt {
  readonly at: number;
  /** The failure's error; for an edit, a line saying what was edited, how and by whom. */
  readonly error: string;
  /** `consume`, `replay`, `worker`; `redrive` and `edit` (not failures: attempts do not count them). */
  readonly via: string;
  /**
   * For a redrive to the origin (`via: 'redrive'`, not a failure; `error` is empty): where the item's
   * bytes were published, without credentials.
   */
  readonly to?: string;
  /** For an edit: who made it (`user@host`). */
  readonly by?: string;
  /** For an edit: the bytes it replaced, base64 (the first edit's are the original bytes). */
  readonly previousBase64?: string;
}

/**
 * An edit of a pending parked message (`failed edit`): its new bytes, the event id and type they carry
 * (when they are a CloudEvent), and the history entry that keeps the bytes replaced.
 */
export interface FailedEdit {
  readonly raw: Bytes;
  readonly eventId?: string;
  readonly eventType?: string;
  /** `via: 'edit'`, with `by` and `previousBase64` (the bytes the edit replaces). */
  readonly entry: FailureAttempt;
}

/** A message to park. */
export interface NewFailedMessage {
  readonly group: string;
  readonly source: string;
  readonly partition: Partition;
  readonly position: Position;
  readonly reason: FailureReason;
  readonly kind: FailedKind;
  readonly error: string;
  readonly errorName?: string;
  readonly rule?: string;
  readonly process?: string;
  readonly runId?: string;
  /** For `publish` failures: the sink the record was meant for, by its name (`Sink.name`, no credentials). */
  readonly sink?: string;
  /**
   * For `publish` failures: where the sink's URI is found again at replay, never the URI itself (it may
   * hold credentials). `publisher.sink`: the agent's sink, as the config (or `--sink`) says at replay.
   * Absent for a sink given on the command line, or parked before references were kept: replay then
   * uses the agent's sink when its name matches `sink`, else `replay --sink`.
   */
  readonly sinkRef?: string;
  /**
   * For `publish` failures: the record's partition/routing key and headers (`raw` is its value). For an
   * event: its key where it was read (Kinesis partition key, local log key, AMQP routing key) and its AMQP
   * headers, for a redrive to the origin.
   */
  readonly recordKey?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly eventId?: string;
  readonly eventType?: string;
  /** Attempts made before parking (step or publish attempts). */
  readonly attempts: number;
  readonly raw: Bytes;
  /** Source timestamp of the message. */
  readonly timestamp: number;
  readonly failedAt: number;
  /** Who saw the failure: `consume` (default), `replay`, `worker`; recorded in the item's history. */
  readonly via?: string;
  /**
   * Deduplication key: parking the same key again (a redelivery) updates the existing item instead of
   * adding one. Defaults to `group/source/partition/position/reason/rule`.
   */
  readonly key: string;
}

export interface FailedMessage extends Omit<NewFailedMessage, 'failedAt' | 'via'> {
  readonly id: number;
  readonly status: FailedStatus;
  readonly firstFailedAt: number;
  readonly lastFailedAt: number;
  readonly history: readonly FailureAttempt[];
  readonly replayedAt?: number;
}

/**
 * What a replay reads of a parked item: enough to deliver its record or process its event again, without
 * its history, error or times (`FailedStore.iterateReplayable`).
 */
export type ReplayableMessage = Pick<
  FailedMessage,
  | 'id'
  | 'key'
  | 'source'
  | 'partition'
  | 'position'
  | 'reason'
  | 'kind'
  | 'runId'
  | 'sink'
  | 'sinkRef'
  | 'recordKey'
  | 'headers'
  | 'raw'
  | 'timestamp'
>;

export interface FailedFilter {
  readonly group?: string;
  readonly status?: FailedStatus | 'any';
  readonly reason?: FailureReason;
  readonly rule?: string;
  /**
   * Text of the error, event type, event id or payload, case ignored: on SQLite its words in order (a
   * trailing `*` makes the last a prefix; see `sqlite/failed-search.ts`), on PostgreSQL a substring.
   */
  readonly search?: string;
  /** Last failed at or after (ms). */
  readonly since?: number;
  readonly ids?: readonly number[];
  readonly limit?: number;
  /** Items with an id greater than this (keyset paging). */
  readonly afterId?: number;
}

/** A running (or recently stopped) agent as seen in the store. */
export interface AgentRecord {
  readonly id: string;
  readonly name: string;
  readonly group: string;
  readonly host: string;
  readonly pid: number;
  readonly source: string;
  readonly state: ProcessingStateName;
  readonly startedAt: number;
  readonly heartbeatAt: number;
  readonly version: string;
  readonly snapshot?: StatusSnapshot;
}

export type ControlKind = 'drain' | 'pause' | 'resume';
export type ControlStatus = 'pending' | 'accepted' | 'done' | 'failed';

/** A request to a running agent, delivered through the store (works across processes and hosts). */
export interface ControlRequest {
  readonly id: number;
  readonly agentId: string;
  readonly kind: ControlKind;
  readonly args: Readonly<Record<string, unknown>>;
  readonly status: ControlStatus;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly result?: Readonly<Record<string, unknown>>;
}

export interface TopicInfo {
  readonly name: string;
  readonly partitions: number;
  readonly createdAt: number;
}

export interface LogAppend {
  readonly value: Bytes;
  /** Records with the same key go to the same partition (ordered). */
  readonly key?: string;
  /** Explicit partition; wins over `key`. */
  readonly partition?: number;
  readonly timestamp?: number;
}

export interface LogRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly timestamp: number;
  readonly value: Bytes;
  /**
   * The value as UTF-8 text, when the store read it so: valid UTF-8, of which `value` is the exact
   * encoding (a value that is not valid UTF-8 comes without it).
   */
  readonly text?: string;
}

/** Offsets of a log partition; both -1 when it is empty. */
export interface LogBounds {
  readonly earliest: number;
  readonly latest: number;
}
