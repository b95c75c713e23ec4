import { type Clock, systemClock } from '../../clock.js';
import type { Message, Offset } from '../../types.js';
import { isMessageRejected, MessageRejected, type ProcessingStrategy } from '../processing-strategy.js';
import { JoinDeadline } from './join-deadline.js';

export interface ReduceOptions<T, A> {
  /** A fresh accumulator, called when the first message of a reduction arrives. */
  readonly initial: () => A;
  /** Folds one message into the accumulator; may mutate and return it. */
  readonly accumulate: (accumulator: A, message: Message<T>) => A;
  /** Flushes once this many messages are accumulated (≥ 1). */
  readonly maxSize: number;
  /** Flushes at the first `poll` this long after the first message of the reduction. */
  readonly maxWaitMs: number;
  /** Measures `maxWaitMs` and bounds `join`. Default: the system clock. */
  readonly clock?: Clock;
}

const NO_BYTES = new Uint8Array(0);
const NO_ATTRIBUTES: Readonly<Record<string, never>> = Object.freeze({});

/**
 * Folds messages into one `Message<A>` that `covers` every source offset folded in (nested `covers`
 * flattened), so committing it commits them all. Its partition, position and timestamp are those of its
 * last message; `raw` is empty and `attributes` are empty.
 *
 * Flushes on `maxSize` (in `submit`), on `maxWaitMs` (checked in `poll` with the clock) and on `join`.
 * Order-preserving. `poll` returns what the next step's does.
 * @throws from `submit`: whatever `accumulate` throws (the message is not taken), and
 *   `MessageRejected` while a flushed reduction waits for the next step to accept it.
 */
export class Reduce<T, A> implements ProcessingStrategy<T> {
  private readonly clock: Clock;
  private accumulator: A | undefined;
  private count = 0;
  private covers: Offset[] = [];
  private last: Message<T> | undefined;
  private startedAt = 0;
  private held: Message<A> | undefined;
  private closed = false;
  private terminated = false;

  constructor(
    private readonly options: ReduceOptions<T, A>,
    private readonly next: ProcessingStrategy<A>,
  ) {
    if (!Number.isInteger(options.maxSize) || options.maxSize < 1) {
      throw new RangeError(`maxSize must be a positive integer, got ${options.maxSize}`);
    }
    this.clock = options.clock ?? systemClock;
  }

  submit(message: Message<T>): void {
    if (this.closed) throw new Error(`${this.constructor.name}: submit after close`);
    if (this.held !== undefined) throw new MessageRejected();
    const accumulator = this.count === 0 ? this.options.initial() : this.accumulator!;
    this.accumulator = this.options.accumulate(accumulator, message);
    if (this.count === 0) this.startedAt = this.clock.now();
    this.count++;
    this.last = message;
    if (message.covers === undefined) {
      this.covers.push({ partition: message.partition, position: message.position });
    } else {
      for (const offset of message.covers) this.covers.push(offset);
    }
    if (this.count >= this.options.maxSize) this.flush();
  }

  poll(): Promise<void> | undefined {
    if (this.terminated) return undefined;
    if (this.held !== undefined) this.forwardHeld();
    else if (this.count > 0 && this.clock.now() - this.startedAt >= this.options.maxWaitMs) this.flush();
    return this.next.poll();
  }

  close(): void {
    this.closed = true;
  }

  async join(timeoutMs?: number): Promise<void> {
    this.closed = true;
    const deadline = new JoinDeadline(this.clock, timeoutMs);
    if (this.count > 0) this.flush();
    const finished = await deadline.settle(this.next, () => this.held === undefined || this.forwardHeld());
    if (!finished) this.held = undefined;
    await deadline.joinNext(this.next);
  }

  terminate(): void {
    if (this.terminated) return;
    this.terminated = true;
    this.closed = true;
    this.held = undefined;
    this.reset();
    this.next.terminate();
  }

  private flush(): void {
    const last = this.last!;
    this.held = {
      partition: last.partition,
      position: last.position,
      payload: this.accumulator as A,
      raw: NO_BYTES,
      timestamp: last.timestamp,
      attributes: NO_ATTRIBUTES,
      covers: this.covers,
    };
    this.reset();
    this.forwardHeld();
  }

  /** Tries to hand the held reduction to the next step; true when it was taken. */
  private forwardHeld(): boolean {
    try {
      this.next.submit(this.held!);
    } catch (error) {
      if (isMessageRejected(error)) return false;
      this.held = undefined;
      throw error;
    }
    this.held = undefined;
    return true;
  }

  private reset(): void {
    this.accumulator = undefined;
    this.count = 0;
    this.covers = [];
    this.last = undefined;
  }
}
