import {
  type DoneOutcome,
  MessageRejected,
  type ProcessingStrategy,
} from '../../src/core/strategies/processing-strategy.js';
import { type Message, type Offset, offsetsOf } from '../../src/core/types.js';

/**
 * A terminal strategy for tests: records what reaches it and checks that it is driven by the contract
 * (no submit after close or terminate, no join before close). It can be told to reject submits or to
 * make `poll` throw once.
 */
export class Collect<T = unknown> implements ProcessingStrategy<T> {
  readonly messages: Message<T>[] = [];
  closed = false;
  joined = false;
  terminated = false;
  /** The `timeoutMs` the last `join` got. */
  joinTimeout: number | undefined;
  /** Submits seen, accepted or not. */
  attempts = 0;
  private rejectCount = 0;
  private rejectPeriod = 0;
  private pollFailure: { readonly error: unknown } | undefined;

  /** Rejects the next `n` submits with `MessageRejected`. */
  rejectNext(n: number): this {
    this.rejectCount = n;
    return this;
  }

  /** Rejects every `n`-th submit attempt with `MessageRejected` (0 turns it off). */
  rejectEvery(n: number): this {
    this.rejectPeriod = n;
    return this;
  }

  /** Makes the next `poll` throw `error`. */
  failNextPoll(error: unknown): this {
    this.pollFailure = { error };
    return this;
  }

  submit(message: Message<T>): void {
    if (this.terminated) throw new Error('Collect: submit after terminate');
    if (this.closed) throw new Error('Collect: submit after close');
    this.attempts++;
    if (this.rejectCount > 0) {
      this.rejectCount--;
      throw new MessageRejected();
    }
    if (this.rejectPeriod > 0 && this.attempts % this.rejectPeriod === 0) throw new MessageRejected();
    this.messages.push(message);
  }

  poll(): undefined {
    const failure = this.pollFailure;
    if (failure !== undefined) {
      this.pollFailure = undefined;
      throw failure.error;
    }
    return undefined;
  }

  close(): void {
    this.closed = true;
  }

  async join(timeoutMs?: number): Promise<void> {
    if (!this.closed) throw new Error('Collect: join before close');
    this.joinTimeout = timeoutMs;
    this.joined = true;
  }

  terminate(): void {
    this.terminated = true;
    this.closed = true;
  }

  get payloads(): T[] {
    return this.messages.map((m) => m.payload);
  }

  /** The source offsets of everything received, flattened in arrival order. */
  get offsets(): Offset[] {
    return this.messages.flatMap((m) => offsetsOf(m));
  }
}

/** A `Commit` callback that records what it is told. */
export class CommitLog {
  readonly entries: { readonly message: Message<unknown>; readonly outcome: DoneOutcome | undefined }[] = [];

  readonly commit = (message: Message<unknown>, outcome?: DoneOutcome): void => {
    this.entries.push({ message, outcome });
  };

  get offsets(): Offset[] {
    return this.entries.flatMap((e) => offsetsOf(e.message));
  }
}
