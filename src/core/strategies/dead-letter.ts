import type { Clock } from '../clock.js';
import { describeError } from '../errors/agentctl-error.js';
import { redactSecrets } from '../redact.js';
import type { Journal } from '../store/journal.js';
import { eventParkKey, positionParkKey } from '../store/parking.js';
import type { NewFailedMessage } from '../store/records.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { Message } from '../types.js';
import { type Commit, InvalidMessage, type ProcessingStrategy } from './processing-strategy.js';

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

interface EventLike {
  readonly id?: unknown;
  readonly type?: unknown;
  readonly source?: unknown;
}

function eventOf(payload: unknown): EventLike | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const inner = (payload as { event?: unknown }).event;
  const candidate = (typeof inner === 'object' && inner !== null ? inner : payload) as EventLike;
  return typeof candidate.id === 'string' && typeof candidate.type === 'string' ? candidate : undefined;
}

/** The failed-store item for a message that failed for good. */
export function parkedMessage(
  error: InvalidMessage,
  message: Message<unknown>,
  options: DeadLetterOptions,
): NewFailedMessage {
  const event = eventOf(message.payload);
  const cause = error.cause;
  return {
    group: options.group,
    source: options.source,
    partition: message.partition,
    position: message.position,
    reason: error.reason,
    kind: 'event',
    error: cause === undefined ? redactSecrets(error.message) : describeError(cause),
    ...(cause instanceof Error ? { errorName: cause.name } : {}),
    ...(error.rule === undefined ? {} : { rule: error.rule }),
    ...(error.process === undefined ? {} : { process: error.process }),
    ...(error.runId === undefined ? {} : { runId: error.runId }),
    ...(event ? { eventId: String(event.id), eventType: String(event.type) } : {}),
    // A broker that counts deliveries (quorum queues) knows better how often this message was tried.
    attempts: Math.max(error.attempts, Number(message.attributes.deliveryCount ?? 0) || 0),
    raw: message.raw,
    timestamp: message.timestamp,
    failedAt: options.clock.now(),
    ...(options.via === undefined ? {} : { via: options.via }),
    key: event
      ? eventParkKey(options.group, options.source, event)
      : positionParkKey(options.group, options.source, message.partition, message.position),
  };
}

/** The source messages a failed message stands for (each member of a failed batch). */
function sourceMessages(message: Message<unknown>): readonly Message<unknown>[] {
  if (message.covers !== undefined && Array.isArray(message.payload)) {
    return (message.payload as Message<unknown>[]).flatMap(sourceMessages);
  }
  return [message];
}

/**
 * Parks messages that can never be processed. Wraps the rest of the pipeline: an `InvalidMessage` thrown
 * by `submit`, `poll` or `join` below is written to the failed store (through the journal, so it is
 * durable before the checkpoint moves past it) and the message is marked done with outcome `parked`.
 * Parking is keyed by event (or position), so a redelivered or replayed failure updates the same item.
 * Other errors pass through and stop the consumer.
 */
export class DeadLetter<T> implements ProcessingStrategy<T> {
  constructor(
    private readonly options: DeadLetterOptions,
    private readonly commit: Commit,
    private readonly next: ProcessingStrategy<T>,
  ) {}

  submit(message: Message<T>): void {
    try {
      this.next.submit(message);
    } catch (error) {
      if (!(error instanceof InvalidMessage)) throw error;
      this.park(error);
    }
  }

  poll(): Promise<void> | undefined {
    for (;;) {
      let pending: Promise<void> | undefined;
      try {
        pending = this.next.poll();
      } catch (error) {
        if (!(error instanceof InvalidMessage)) throw error;
        this.park(error);
        continue;
      }
      if (pending === undefined) return undefined;
      return pending.then(undefined, (error: unknown) => {
        if (!(error instanceof InvalidMessage)) throw error;
        this.park(error);
        return this.poll();
      });
    }
  }

  close(): void {
    this.next.close();
  }

  async join(timeoutMs?: number): Promise<void> {
    const deadline = timeoutMs === undefined ? undefined : this.options.clock.now() + timeoutMs;
    for (;;) {
      try {
        await this.next.join(
          deadline === undefined ? undefined : Math.max(0, deadline - this.options.clock.now()),
        );
        return;
      } catch (error) {
        if (!(error instanceof InvalidMessage)) throw error;
        this.park(error);
      }
    }
  }

  terminate(): void {
    this.next.terminate();
  }

  private park(error: InvalidMessage): void {
    for (const message of sourceMessages(error.subject)) {
      const item = parkedMessage(error, message, this.options);
      this.options.journal.park(item);
      this.options.telemetry?.emit('parked', {
        reason: item.reason,
        partition: item.partition,
        position: item.position,
        error: item.error,
      });
    }
    this.commit(error.subject, 'parked');
  }
}
