import { once } from 'node:events';
import type { Message as AmqpMessage, ConfirmChannel, Options } from 'amqplib';
import { type Clock, nextTurn, SLEEP_CANCELLED } from '../../clock.js';
import { TimeoutError } from '../../errors/timeout-error.js';
import { TransientError } from '../../errors/transient-error.js';
import type { ManagedChannel } from './amqp-channel.js';

/** Messages published between two turns of the event loop. */
const YIELD_EVERY = 128;

/** What a publish needs to know of the channel it publishes on, as `attach` saw it. */
interface AttachedChannel {
  /** Reply texts of returned messages, by message id. */
  readonly returned: Map<string, string>;
  closed: boolean;
}

/** One message to publish. With `mandatory`, `options.messageId` identifies it when the broker returns it. */
export interface OutgoingMessage {
  readonly exchange: string;
  readonly routingKey: string;
  readonly content: Buffer;
  readonly options: Options.Publish;
}

export interface ConfirmedPublisherOptions {
  readonly channel: ManagedChannel<ConfirmChannel>;
  /** A message not confirmed within this fails with `TimeoutError`; also the longest wait for a channel. */
  readonly timeoutMs: number;
  readonly clock: Clock;
}

/**
 * Publishes on a confirm channel and reports, per message, whether the broker took responsibility for
 * it: confirmed (`undefined`), or the reason it failed — a `nack`, a `mandatory` message returned as
 * unroutable, the channel closing before the confirm, or no confirm within `timeoutMs`. Every failure is
 * retriable. When `publish` reports a full write buffer it waits for `drain` before the next message.
 * Call `attach` from the channel's setup so that returns are seen.
 */
export class ConfirmedPublisher {
  private attached: AttachedChannel = { returned: new Map(), closed: false };

  constructor(private readonly options: ConfirmedPublisherOptions) {}

  /**
   * Listens on a freshly opened channel for returned (unroutable) messages and for its close. One
   * listener of each per channel, however many publishes are under way on it.
   */
  attach(channel: ConfirmChannel): void {
    const attached: AttachedChannel = { returned: new Map(), closed: false };
    this.attached = attached;
    channel.on('return', (message: AmqpMessage) => {
      const id = message.properties.messageId as unknown;
      if (typeof id !== 'string') return;
      const fields = message.fields as { replyText?: string };
      attached.returned.set(id, fields.replyText ?? 'NO_ROUTE');
    });
    channel.once('close', () => {
      attached.closed = true;
    });
  }

  /**
   * Publishes `messages` in order; resolves with one entry per message: `undefined` or its failure. The
   * process is kept alive until every message is settled. `onSettled`, when given, is told of each
   * message's outcome as soon as it is known (a confirm, a nack, the timeout), before the returned
   * promise resolves; it must not throw.
   */
  publish(
    messages: readonly OutgoingMessage[],
    signal?: AbortSignal,
    onSettled?: (index: number, failure: Error | undefined) => void,
  ): Promise<(Error | undefined)[]> {
    if (messages.length === 0) return Promise.resolve(new Array<Error | undefined>(0));
    return this.options.channel.whileBusy(() => this.publishNow(messages, signal, onSettled));
  }

  private async publishNow(
    messages: readonly OutgoingMessage[],
    signal: AbortSignal | undefined,
    onSettled: ((index: number, failure: Error | undefined) => void) | undefined,
  ): Promise<(Error | undefined)[]> {
    const results = new Array<Error | undefined>(messages.length);
    if (messages.length === 0) return results;
    let channel: ConfirmChannel;
    try {
      channel = await this.channelWithin(signal);
    } catch (error) {
      const failure =
        signal?.aborted === true
          ? (signal.reason as Error)
          : new TransientError(`not connected to the broker: ${(error as Error).message}`, { cause: error });
      results.fill(failure);
      if (onSettled !== undefined) for (let i = 0; i < messages.length; i++) onSettled(i, failure);
      return results;
    }
    const attached = this.attached;
    const returned = attached.returned;
    let left = messages.length;
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const settled = new Uint8Array(messages.length);
    const settle = (i: number, error: Error | undefined) => {
      if (settled[i] === 1) return;
      settled[i] = 1;
      results[i] = error;
      onSettled?.(i, error);
      if (--left === 0) finish();
    };
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    void this.options.clock.sleep(this.options.timeoutMs, stop.signal).then(
      () => {
        const timeout = new TimeoutError(`the broker did not confirm within ${this.options.timeoutMs} ms`);
        for (let i = 0; i < messages.length; i++) settle(i, timeout);
      },
      () => {
        if (!signal?.aborted) return;
        for (let i = 0; i < messages.length; i++) settle(i, signal.reason as Error);
      },
    );
    try {
      for (let i = 0; i < messages.length; i++) {
        const m = messages[i]!;
        if (settled[i] === 1) continue;
        if (attached.closed || stop.signal.aborted) {
          settle(i, new TransientError('the channel closed before the message was published'));
          continue;
        }
        let ok: boolean;
        try {
          ok = channel.publish(m.exchange, m.routingKey, m.content, m.options, (error: unknown) => {
            if (error !== null && error !== undefined) {
              settle(
                i,
                attached.closed
                  ? new TransientError('the channel closed before the broker confirmed the message')
                  : new TransientError('the broker refused the message (nack)'),
              );
              return;
            }
            const id = m.options.messageId;
            const reason = id === undefined ? undefined : returned.get(id);
            if (reason !== undefined) {
              returned.delete(id!);
              settle(i, new TransientError(`the broker returned the message as unroutable (${reason})`));
              return;
            }
            settle(i, undefined);
          });
        } catch (error) {
          settle(i, new TransientError(`publish failed: ${(error as Error).message}`, { cause: error }));
          continue;
        }
        if (!ok) await drained(channel, finished);
        // Let amqplib hand what is encoded to the socket, so the broker works on the start of a large batch
        // while the rest is being encoded.
        else if (i % YIELD_EVERY === YIELD_EVERY - 1) await nextTurn();
      }
      await finished;
    } finally {
      stop.abort(SLEEP_CANCELLED);
      signal?.removeEventListener('abort', onAbort);
    }
    return results;
  }

  /** The open channel, waiting for a reconnect at most `timeoutMs`. */
  private async channelWithin(signal?: AbortSignal): Promise<ConfirmChannel> {
    const open = this.options.channel.channel;
    if (open !== undefined) return open;
    const bound = AbortSignal.timeout(this.options.timeoutMs);
    return this.options.channel.ready(signal === undefined ? bound : AbortSignal.any([signal, bound]));
  }
}

/** Resolves on the channel's `drain` or `close`, or when `finished` resolves; leaves no listener behind. */
async function drained(channel: ConfirmChannel, finished: Promise<void>): Promise<void> {
  const stop = new AbortController();
  const quiet = (promise: Promise<unknown>) => promise.catch(() => undefined);
  try {
    await Promise.race([
      quiet(once(channel, 'drain', { signal: stop.signal })),
      quiet(once(channel, 'close', { signal: stop.signal })),
      finished,
    ]);
  } finally {
    stop.abort(SLEEP_CANCELLED);
  }
}
