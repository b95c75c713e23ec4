import type { Clock } from '../clock.js';
import { describeError } from '../errors/agentctl-error.js';
import { redactSecrets } from '../redact.js';
import type { Journal } from '../store/journal.js';
import { parkedEvent } from '../store/parking.js';
import type { NewFailedMessage } from '../store/records.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { Message } from '../types.js';
import { type Commit, InvalidMessage, type ProcessingStrategy } from './processing-strategy.js';

/**
 * The pipeline's one exit for messages that can never be processed, after arroyo's `InvalidMessage` and
 * `dlq.py`. A step says a message cannot be processed by throwing `InvalidMessage` from `submit`, `poll`
 * or `join` (Decode: `decode`, EvaluateRules: `rule`, DispatchProcesses: `publish`, ParkFailedRuns:
 * `process`, RunInWorkers: `task`); no step below the head catches it. `InvalidMessageExit`, the head of
 * the pipeline, catches it and hands it to one handler:
 *
 * - `DeadLetter` (`consume`, `replay --from`) parks it in the failed store and marks it done;
 * - `replay --failed` records the failure on the item it replays (parked already), parking nothing new.
 *
 * Either way the error recorded is `failureText(error)`. Other errors pass through and stop the consumer.
 */

/** What the exit does with a message that can never be processed. */
export type InvalidMessageHandler = (error: InvalidMessage) => void;

/** The error an invalid message is recorded with: its cause, described (secrets redacted). */
export function failureText(error: InvalidMessage): string {
  const cause = error.cause;
  return cause === undefined ? redactSecrets(error.message) : describeError(cause);
}

/**
 * Wraps the rest of the pipeline: an `InvalidMessage` thrown by `submit`, `poll` or `join` below is handed
 * to `onInvalid`, and the work goes on with the other messages. Other errors pass through.
 */
export class InvalidMessageExit<T> implements ProcessingStrategy<T> {
  constructor(
    private readonly exit: { readonly onInvalid: InvalidMessageHandler; readonly clock: Pick<Clock, 'now'> },
    private readonly next: ProcessingStrategy<T>,
  ) {}

  submit(message: Message<T>): void {
    try {
      this.next.submit(message);
    } catch (error) {
      if (!(error instanceof InvalidMessage)) throw error;
      this.exit.onInvalid(error);
    }
  }

  poll(): Promise<void> | undefined {
    for (;;) {
      let pending: Promise<void> | undefined;
      try {
        pending = this.next.poll();
      } catch (error) {
        if (!(error instanceof InvalidMessage)) throw error;
        this.exit.onInvalid(error);
        continue;
      }
      if (pending === undefined) return undefined;
      return pending.then(undefined, (error: unknown) => {
        if (!(error instanceof InvalidMessage)) throw error;
        this.exit.onInvalid(error);
        return this.poll();
      });
    }
  }

  close(): void {
    this.next.close();
  }

  async join(timeoutMs?: number): Promise<void> {
    const { clock } = this.exit;
    const deadline = timeoutMs === undefined ? undefined : clock.now() + timeoutMs;
    for (;;) {
      try {
        await this.next.join(deadline === undefined ? undefined : Math.max(0, deadline - clock.now()));
        return;
      } catch (error) {
        if (!(error instanceof InvalidMessage)) throw error;
        this.exit.onInvalid(error);
      }
    }
  }

  terminate(): void {
    this.next.terminate();
  }
}

export interface DeadLetterOptions {
  readonly journal: Journal;
  readonly group: string;
  /** The source id recorded with each parked message. */
  readonly source: string;
  readonly clock: Clock;
  readonly telemetry?: Telemetry;
  /** Recorded in the item's failure history (`consume`, `replay`). */
  readonly via?: string;
}

/**
 * Parks messages that can never be processed. Wraps the rest of the pipeline: an `InvalidMessage` thrown
 * by `submit`, `poll` or `join` below is written to the failed store (through the journal, so it is
 * durable before the checkpoint moves past it) and the message is marked done with outcome `parked`.
 * Parking is keyed by event (or position), so a redelivered or replayed failure updates the same item.
 * Other errors pass through and stop the consumer.
 */
export class DeadLetter<T> extends InvalidMessageExit<T> {
  constructor(options: DeadLetterOptions, commit: Commit, next: ProcessingStrategy<T>) {
    super({ onInvalid: parkInvalid(options, commit), clock: options.clock }, next);
  }
}

/** Parks each source message an invalid message stands for, then marks it done (`parked`). */
export function parkInvalid(options: DeadLetterOptions, commit: Commit): InvalidMessageHandler {
  return (error) => {
    for (const message of sourceMessages(error.subject)) {
      const item = parkedMessage(error, message, options);
      options.journal.park(item);
      options.telemetry?.emit('parked', {
        reason: item.reason,
        partition: item.partition,
        position: item.position,
        error: item.error,
      });
    }
    commit(error.subject, 'parked');
  };
}

/** The failed-store item for a message that failed for good (built by `parkedEvent`). */
export function parkedMessage(
  error: InvalidMessage,
  message: Message<unknown>,
  options: DeadLetterOptions,
): NewFailedMessage {
  const cause = error.cause;
  return parkedEvent(
    message,
    {
      reason: error.reason,
      error: failureText(error),
      ...(cause instanceof Error ? { errorName: cause.name } : {}),
      ...(error.rule === undefined ? {} : { rule: error.rule }),
      ...(error.process === undefined ? {} : { process: error.process }),
      ...(error.runId === undefined ? {} : { runId: error.runId }),
      attempts: error.attempts,
    },
    {
      group: options.group,
      source: options.source,
      failedAt: options.clock.now(),
      ...(options.via === undefined ? {} : { via: options.via }),
    },
  );
}

/** The source messages a failed message stands for (each member of a failed batch). */
function sourceMessages(message: Message<unknown>): readonly Message<unknown>[] {
  if (message.covers !== undefined && Array.isArray(message.payload)) {
    return (message.payload as Message<unknown>[]).flatMap(sourceMessages);
  }
  return [message];
}
