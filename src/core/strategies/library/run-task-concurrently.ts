import { type Clock, systemClock } from '../../clock.js';
import { type Message, withPayload } from '../../types.js';
import { isMessageRejected, MessageRejected, type ProcessingStrategy } from '../processing-strategy.js';
import { isThenable, JoinDeadline } from './join-deadline.js';

export interface RunTaskConcurrentlyOptions {
  /** How many calls of the task may run at once (≥ 1). */
  readonly concurrency: number;
  /**
   * How many messages may be accepted and not yet forwarded: running, waiting to start, or finished
   * behind a slower head. Default and minimum: `concurrency`.
   */
  readonly maxPending?: number;
  /** Bounds `join(timeoutMs)`. Default: the system clock. */
  readonly clock?: Clock;
}

const QUEUED = 0;
const RUNNING = 1;
const DONE = 2;
const FAILED = 3;
type SlotState = typeof QUEUED | typeof RUNNING | typeof DONE | typeof FAILED;

/** One place of the window; reused, `seq` tells a late settlement from the current occupant. */
interface Slot<T, U> {
  seq: number;
  state: SlotState;
  message: Message<T> | undefined;
  result: Message<U> | undefined;
  error: unknown;
}

/**
 * Runs `fn` on up to `concurrency` messages at once and forwards the results in submission order
 * (head-of-line: a finished message waits for the ones submitted before it, so commits and sinks see
 * each partition in order).
 *
 * - `submit` never blocks. It calls `fn` at once when a slot is free (a synchronous throw propagates and
 *   the message is not taken), else queues the message to start when a call finishes. A synchronous
 *   result reaching an empty window is forwarded immediately, without a promise.
 * @throws MessageRejected when `maxPending` messages are held.
 *
 * - `poll` forwards finished heads, throws the error of a failed head (in order; polling again continues
 *   with the rest), polls the next step, and returns a promise only when the window is full and its head
 *   is still running — it resolves when any call settles.
 * - `join` waits for every accepted message to be forwarded, within the timeout; a failure surfaces from
 *   `join` as from `poll`, and joining again continues.
 */
export class RunTaskConcurrently<T, U> implements ProcessingStrategy<T> {
  private readonly concurrency: number;
  private readonly capacity: number;
  private readonly clock: Clock;
  private readonly slots: Slot<T, U>[] = [];
  private head = 0;
  private size = 0;
  private queued = 0;
  private running = 0;
  private seq = 0;
  private closed = false;
  private abandoned = false;
  private terminated = false;
  private wake: (() => void) | undefined;
  private woken: Promise<void> | undefined;

  constructor(
    private readonly fn: (message: Message<T>) => U | Promise<U>,
    options: RunTaskConcurrentlyOptions,
    private readonly next: ProcessingStrategy<U>,
  ) {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
      throw new RangeError(`concurrency must be a positive integer, got ${options.concurrency}`);
    }
    this.concurrency = options.concurrency;
    this.capacity = Math.max(this.concurrency, Math.floor(options.maxPending ?? 0));
    this.clock = options.clock ?? systemClock;
    for (let i = 0; i < this.capacity; i++) {
      this.slots.push({ seq: 0, state: QUEUED, message: undefined, result: undefined, error: undefined });
    }
  }

  submit(message: Message<T>): void {
    if (this.closed) throw new Error(`${this.constructor.name}: submit after close`);
    if (this.size >= this.capacity) throw new MessageRejected();
    if (this.running >= this.concurrency) {
      this.push(QUEUED).message = message;
      this.queued++;
      return;
    }
    const value = this.fn(message);
    if (isThenable(value)) {
      const slot = this.push(RUNNING);
      slot.message = message;
      this.running++;
      this.watch(slot, value);
      return;
    }
    const result = withPayload(message, value);
    if (this.size === 0) {
      try {
        this.next.submit(result);
        return;
      } catch (error) {
        if (!isMessageRejected(error)) throw error;
      }
    }
    this.push(DONE).result = result;
  }

  poll(): Promise<void> | undefined {
    if (this.terminated) return undefined;
    if (this.size > 0) this.forward();
    const downstream = this.next.poll();
    if (this.size < this.capacity || this.at(0).state === DONE) return downstream;
    const own = this.changed();
    return downstream === undefined ? own : Promise.race([own, downstream]);
  }

  close(): void {
    this.closed = true;
  }

  async join(timeoutMs?: number): Promise<void> {
    this.closed = true;
    const deadline = new JoinDeadline(this.clock, timeoutMs);
    const finished = await deadline.settle(this.next, () => {
      this.forward();
      if (this.size === 0) return true;
      return this.at(0).state === DONE ? false : this.changed();
    });
    if (!finished) this.abandon();
    await deadline.joinNext(this.next);
  }

  terminate(): void {
    if (this.terminated) return;
    this.terminated = true;
    this.closed = true;
    this.abandon();
    this.next.terminate();
  }

  /** Forwards finished heads until one is running or the next step rejects; throws a failed head. */
  private forward(): void {
    while (this.size > 0) {
      const slot = this.at(0);
      if (slot.state === DONE) {
        try {
          this.next.submit(slot.result!);
        } catch (error) {
          if (isMessageRejected(error)) return;
          this.pop();
          throw error;
        }
        this.pop();
      } else if (slot.state === FAILED) {
        const error = slot.error;
        this.pop();
        throw error;
      } else {
        return;
      }
    }
  }

  private watch(slot: Slot<T, U>, value: PromiseLike<U>): void {
    const seq = slot.seq;
    Promise.resolve(value).then(
      (result) => {
        if (slot.seq !== seq || this.abandoned) return;
        slot.state = DONE;
        slot.result = withPayload(slot.message!, result);
        slot.message = undefined;
        this.settled();
      },
      (error: unknown) => {
        if (slot.seq !== seq || this.abandoned) return;
        slot.state = FAILED;
        slot.error = error;
        slot.message = undefined;
        this.settled();
      },
    );
  }

  /** A call finished: start queued messages in order, then wake whoever waits in `poll` or `join`. */
  private settled(): void {
    this.running--;
    while (this.queued > 0 && this.running < this.concurrency) {
      const slot = this.at(this.size - this.queued);
      this.queued--;
      this.start(slot);
    }
    const wake = this.wake;
    if (wake !== undefined) {
      this.wake = undefined;
      this.woken = undefined;
      wake();
    }
  }

  private start(slot: Slot<T, U>): void {
    const message = slot.message!;
    let value: U | Promise<U>;
    try {
      value = this.fn(message);
    } catch (error) {
      slot.state = FAILED;
      slot.error = error;
      slot.message = undefined;
      return;
    }
    if (isThenable(value)) {
      slot.state = RUNNING;
      this.running++;
      this.watch(slot, value);
    } else {
      slot.state = DONE;
      slot.result = withPayload(message, value);
      slot.message = undefined;
    }
  }

  /** Resolves when any call settles; never rejects (errors surface from `poll`). */
  private changed(): Promise<void> {
    this.woken ??= new Promise((resolve) => {
      this.wake = resolve;
    });
    return this.woken;
  }

  private at(offset: number): Slot<T, U> {
    return this.slots[(this.head + offset) % this.capacity]!;
  }

  private push(state: SlotState): Slot<T, U> {
    const slot = this.at(this.size);
    slot.seq = ++this.seq;
    slot.state = state;
    this.size++;
    return slot;
  }

  private pop(): void {
    const slot = this.slots[this.head]!;
    slot.message = undefined;
    slot.result = undefined;
    slot.error = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.size--;
  }

  /** Drops everything held; late settlements are ignored and nothing more is forwarded. */
  private abandon(): void {
    this.abandoned = true;
    while (this.size > 0) this.pop();
    this.queued = 0;
    this.running = 0;
    const wake = this.wake;
    this.wake = undefined;
    this.woken = undefined;
    wake?.();
  }
}
