import type { Position } from '../types.js';

/** When an agent calls a partition stalled, and a step stuck (carried in its status snapshot). */
export interface StallSettings {
  /** The checkpoint has not moved for this long while the partition is behind (`consumer.stallAfterMs`). */
  readonly stallAfterMs: number;
  /** A step without a timeout of its own is stuck after running this long (`consumer.stuckStepMs`). */
  readonly stuckStepMs: number;
}

/** A process run executing now in an agent, as its status snapshot shows it. */
export interface RunInFlight {
  readonly id: string;
  readonly process: string;
  readonly rule: string;
  /** The step executing now. */
  readonly step?: string;
  /** Attempts of that step so far (1 on its first try). */
  readonly stepAttempts: number;
  /** Step attempts of the whole run so far. */
  readonly attempts: number;
  readonly startedAt: number;
  /** When the step executing now started its current attempt. */
  readonly stepSince?: number;
  /** The step's own timeout, if it has one. */
  readonly stepTimeoutMs?: number;
  /** Where the run's event was read: the source id, partition and position. */
  readonly source?: string;
  readonly partition?: string;
  readonly position?: Position;
}

/**
 * Why a partition is STALLED: `no-progress` — its owner is alive, it is behind, and its checkpoint has
 * not moved for `stallAfterMs`; `stuck-step` — a run of one of its events has a step running past its
 * timeout (or `stuckStepMs`), which holds the checkpoint back as long as it runs.
 */
export interface PartitionStall {
  readonly reason: 'no-progress' | 'stuck-step';
  /** Since when the checkpoint has not moved (or since when the step runs, for `stuck-step`). */
  readonly since: number;
  readonly forMs: number;
  /** The checkpoint it is stuck at. */
  readonly position?: Position;
  /** The first position read and not done: the message that holds it back. */
  readonly waitingOn?: Position;
  /** The oldest run in flight of the partition, with its step and attempts. */
  readonly run?: RunInFlight;
}
