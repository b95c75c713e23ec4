import type { Channel, ConfirmChannel } from 'amqplib';
import { type Clock, systemClock } from '../../clock.js';
import { describeError } from '../../errors/agentctl-error.js';
import { redactSecrets } from '../../redact.js';
import { type Backoff, backoff } from '../../retry/backoff.js';
import type { Telemetry } from '../../telemetry/telemetry.js';
import type { AmqpConnection } from './amqp-connection.js';
import { closeQuietly } from './close-quietly.js';

export interface ManagedChannelOptions<C extends Channel> {
  readonly connection: AmqpConnection;
  /** A confirm channel (publisher confirms) instead of a plain one. */
  readonly confirm: C extends ConfirmChannel ? true : false;
  /**
   * Prepares a fresh channel (declare, prefetch, subscribe). Runs on every open; `generation` numbers the
   * opens (1, 2, …). A setup that throws closes the channel, and it is opened again after a backoff.
   */
  readonly setup?: (channel: C, generation: number) => Promise<void>;
  /** The channel of `generation` is gone (channel or connection closed): its delivery tags are void. */
  readonly lost?: (generation: number) => void;
  /** For warnings. */
  readonly name: string;
  readonly clock?: Clock;
  readonly telemetry?: Telemetry;
}

/**
 * A channel that is opened again whenever it is lost: after the broker closed it (a channel error, a
 * deleted queue) with a backoff, and at once after the connection came back. Every open gets the next
 * generation number; a delivery tag is only meaningful on the generation it came from, which is how
 * callers avoid acking a stale tag (a 406 that would close the new channel).
 */
export class ManagedChannel<C extends Channel> {
  private current: C | undefined;
  private gen = 0;
  private opening: Promise<C> | undefined;
  private started = false;
  private closed = false;
  private retry: Backoff;
  private retryTimer: Promise<void> | undefined;
  private readonly stop = new AbortController();
  private readonly unsubscribe: () => void;
  private readonly clock: Clock;
  private lastError: string | undefined;

  constructor(private readonly options: ManagedChannelOptions<C>) {
    this.clock = options.clock ?? systemClock;
    this.retry = this.freshBackoff();
    this.unsubscribe = options.connection.onOpen(() => {
      if (this.started && !this.closed && this.current === undefined) this.reopen();
    });
  }

  /** The open channel, or `undefined` while it is being (re)opened. */
  get channel(): C | undefined {
    return this.current;
  }

  /** The generation of the open channel (0 before the first open). */
  get generation(): number {
    return this.gen;
  }

  get error(): string | undefined {
    return this.lastError;
  }

  /**
   * Opens the channel (and the connection if needed) and runs `setup`. From then on the channel is kept
   * open. Errors of this first open are thrown, not retried.
   */
  async start(signal?: AbortSignal): Promise<C> {
    const channel = await this.open(signal);
    this.started = true;
    return channel;
  }

  /** The open channel, waiting for a reopen under way. Rejects when `signal` aborts or it was closed. */
  async ready(signal?: AbortSignal): Promise<C> {
    for (;;) {
      if (this.closed) throw new Error(`${this.options.name} is closed`);
      if (this.current !== undefined) return this.current;
      signal?.throwIfAborted();
      try {
        return await this.open(signal);
      } catch (error) {
        if (signal?.aborted || this.closed) throw error;
        await this.clock.sleep(this.retry.delayMs, signal);
        this.retry = this.retry.next();
      }
    }
  }

  /** Closes the channel for good (the connection stays). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.options.connection.hold();
    this.stop.abort(new Error('closed'));
    this.unsubscribe();
    const channel = this.current;
    this.current = undefined;
    await this.opening?.catch(() => undefined);
    if (channel !== undefined) await closeQuietly(channel);
  }

  private open(signal?: AbortSignal): Promise<C> {
    if (this.current !== undefined) return Promise.resolve(this.current);
    this.opening ??= this.openNow(signal).finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  /** Opening (connection, channel, setup) keeps the process alive: only the broker's answers are awaited. */
  private openNow(signal?: AbortSignal): Promise<C> {
    return this.options.connection.whileBusy(() => this.openChannel(signal));
  }

  /** Runs `work` (publishes awaiting confirms) with the process kept alive until it settles. */
  whileBusy<T>(work: () => Promise<T>): Promise<T> {
    return this.options.connection.whileBusy(work);
  }

  private async openChannel(signal?: AbortSignal): Promise<C> {
    const model = await this.options.connection.open(signal ?? this.stop.signal);
    const channel = (
      this.options.confirm ? await model.createConfirmChannel() : await model.createChannel()
    ) as C;
    const generation = ++this.gen;
    channel.on('error', (error: Error) => {
      this.lastError = redactSecrets(describeError(error));
    });
    channel.on('close', () => this.onClose(channel, generation));
    if (this.closed) {
      await closeQuietly(channel);
      throw new Error(`${this.options.name} is closed`);
    }
    this.current = channel;
    try {
      await this.options.setup?.(channel, generation);
    } catch (error) {
      this.lastError = redactSecrets(describeError(error));
      if (this.current === channel) this.current = undefined;
      await closeQuietly(channel);
      throw error;
    }
    this.retry = this.freshBackoff();
    return channel;
  }

  private onClose(channel: C, generation: number): void {
    if (this.current === channel) this.current = undefined;
    this.options.lost?.(generation);
    if (!this.started || this.closed) return;
    this.reopen();
  }

  /** Opens again after the current backoff delay (one pending reopen at a time). */
  private reopen(): void {
    if (this.retryTimer !== undefined || this.closed) return;
    const delay = this.options.connection.channelModel === undefined ? 0 : this.retry.delayMs;
    this.retryTimer = this.clock
      .sleep(delay, this.stop.signal)
      .then(async () => {
        this.retryTimer = undefined;
        if (this.closed || this.current !== undefined) return;
        try {
          await this.open(this.stop.signal);
        } catch (error) {
          if (this.closed) return;
          this.lastError = redactSecrets(describeError(error));
          this.options.telemetry?.emit('warning', {
            message: `${this.options.name}: reopening the channel failed (${this.lastError}); retrying`,
          });
          this.retry = this.retry.next();
          this.reopen();
        }
      })
      .catch(() => {
        this.retryTimer = undefined;
      });
  }

  private freshBackoff(): Backoff {
    return backoff({ kind: 'exponential', baseMs: 100, maxMs: 5_000, jitter: 0.2 });
  }
}
