import type { Clock } from '../clock.js';
import type { DoneOutcome } from '../model/done-outcome.js';
import type { Journal } from '../store/journal.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { FailureReason, Message, Partition } from '../types.js';

/**
 * One step of a processing pipeline, after getsentry/arroyo. Strategies chain: each takes the next step
 * as its last constructor argument and forwards what it produces to it.
 *
 * Lifecycle: `submit`/`poll` any number of times → `close()` → `join()`; or `terminate()` at any point.
 *
 * Ordering: a strategy forwards the messages of one partition in the order it received them, unless its
 * doc says otherwise. Commits do not depend on it (the processor commits the contiguous *done*
 * watermark), but sinks downstream usually do.
 */
export interface ProcessingStrategy<T> {
  /**
   * Hands a message to the strategy. Never blocks and never waits.
   * @throws MessageRejected when the strategy cannot take more now (backpressure); the caller keeps the
   *   message and submits it again after `poll()`.
   * @throws InvalidMessage when this message can never be processed (the caller parks it).
   */
  submit(message: Message<T>): void;

  /**
   * Drives pending work: forwards finished messages, and surfaces errors of asynchronous work by throwing
   * (or rejecting). Never blocks the thread. Returns a promise only when the strategy has in-flight work
   * the caller should wait for before submitting more (an inline async step, a full concurrency window);
   * otherwise `undefined`. Also polls the next step.
   * @throws InvalidMessage for a message whose asynchronous processing failed for good; calling `poll()`
   *   again continues with the rest.
   */
  poll(): Promise<void> | undefined;

  /** Accepts no more messages. In-flight work continues until `join()`. Idempotent. */
  close(): void;

  /**
   * Finishes in-flight work and forwards it, then closes and joins the next step. Waits at most
   * `timeoutMs` (default: no limit); what is not finished by then is abandoned (not marked done, so
   * it is redelivered after restart).
   */
  join(timeoutMs?: number): Promise<void>;

  /** Abandons all work now and terminates the next step. Idempotent. */
  terminate(): void;
}

/** Marks the source messages a message stands for as done (processed, or durably parked). */
export type Commit = (message: Message<unknown>, outcome?: DoneOutcome) => void;

export type { DoneOutcome } from '../model/done-outcome.js';

/** What a strategy factory gets when partitions are assigned. */
export interface StrategyContext {
  /** The partitions this pipeline instance serves. */
  readonly partitions: ReadonlySet<Partition>;
  /** Marks messages done; the processor moves checkpoints over the contiguous done watermark. */
  readonly commit: Commit;
  /** Buffered store writes (runs, efforts, parked messages), flushed atomically before each commit. */
  readonly journal: Journal;
  readonly clock: Clock;
  readonly telemetry: Telemetry;
  /** Aborts when the processor terminates. */
  readonly signal: AbortSignal;
  /**
   * False when the source settles each message on its own (an ack-based queue): steps that finish work
   * in any order may pass a finished message on before earlier ones are done. Absent or true: in order.
   */
  readonly ordered?: boolean;
}

/**
 * Builds the pipeline. The processor calls `create` when partitions are assigned and again after every
 * reassignment (the previous pipeline is closed, joined and committed first).
 */
export interface ProcessingStrategyFactory<T> {
  create(context: StrategyContext): ProcessingStrategy<T>;
}

/** Backpressure signal from `submit`: try this message again later. Not an error. */
export class MessageRejected extends Error {
  constructor() {
    super('message rejected: strategy is full');
    this.name = 'MessageRejected';
  }
}

export function isMessageRejected(error: unknown): error is MessageRejected {
  return error instanceof MessageRejected;
}

export interface InvalidMessageDetails {
  readonly cause?: unknown;
  readonly rule?: string;
  readonly process?: string;
  readonly runId?: string;
  readonly attempts?: number;
}

/**
 * A message that can never be processed. Thrown by `submit`/`poll`/`join`; the pipeline's one exit
 * (`InvalidMessageExit` in dead-letter.ts) catches it: `DeadLetter` parks the message in the failed store
 * with `reason` and marks it done.
 */
export class InvalidMessage extends Error {
  readonly rule: string | undefined;
  readonly process: string | undefined;
  readonly runId: string | undefined;
  readonly attempts: number;

  constructor(
    readonly subject: Message<unknown>,
    readonly reason: FailureReason,
    details: InvalidMessageDetails = {},
  ) {
    super(
      `${reason} failure at ${subject.partition}@${subject.position}: ${describeCause(details.cause)}`,
      details.cause === undefined ? undefined : { cause: details.cause },
    );
    this.name = 'InvalidMessage';
    this.rule = details.rule;
    this.process = details.process;
    this.runId = details.runId;
    this.attempts = details.attempts ?? 1;
  }
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  return cause === undefined ? 'invalid message' : String(cause);
}

export function isInvalidMessage(error: unknown): error is InvalidMessage {
  return error instanceof InvalidMessage;
}
