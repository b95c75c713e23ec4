/** The life of a process run: `pending → running → succeeded | failed`. */
export type RunState = 'pending' | 'running' | 'succeeded' | 'failed';

export const RUN_STATES: readonly RunState[] = ['pending', 'running', 'succeeded', 'failed'];

export type StepState = 'pending' | 'running' | 'succeeded' | 'failed';

/** One try of a step. */
export interface StepAttempt {
  readonly attempt: number;
  readonly startedAt: number;
  readonly durationMs: number;
  /** Set when the attempt failed. */
  readonly error?: string;
  /** The failure was permanent (`FatalError`): no retry followed. */
  readonly fatal?: boolean;
}

export interface StepRecord {
  readonly name: string;
  state: StepState;
  attempts: number;
  startedAt?: number;
  finishedAt?: number;
  error?: string;
  /** When the next retry is due, while waiting for it. */
  nextAttemptAt?: number;
  history: StepAttempt[];
}

/** Where the event of a run came from. */
export interface RunOrigin {
  readonly source: string;
  readonly partition: string;
  readonly position: string;
}

/**
 * The record of one process run started by one rule for one event. Mutable while the run executes (the
 * executor updates it in place and the journal flushes its latest state); treat it as a value elsewhere.
 */
export interface RunRecord {
  /** Derived from (event source, event id, rule): see `runIdOf`. */
  readonly id: string;
  /** The agent (consumer group) that owns the run. */
  readonly group: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly rule: string;
  readonly process: string;
  state: RunState;
  currentStep?: string;
  /** Step attempts made so far, over all steps. */
  attempts: number;
  steps: StepRecord[];
  readonly createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  error?: string;
  /** The failure was permanent (fatal), not exhausted retries. */
  fatal?: boolean;
  /** `inline`, `pool` or `queue`. */
  readonly runner: string;
  /** The worker that executed the run (queue runner), or the agent id. */
  worker?: string;
  readonly origin?: RunOrigin;
  /** The result of the last step, published when the process asks for it. */
  output?: unknown;
  updatedAt: number;
}
