import type { Clock } from '../clock.js';
import { describeError } from '../errors/agentctl-error.js';
import { redactSecrets } from '../redact.js';
import { type Backoff, backoff } from '../retry/backoff.js';
import type { Source } from '../sources/source.js';
import type { ProcessingState, ProcessingStateName } from '../state/processing-state.js';
import type { Telemetry } from '../telemetry/telemetry.js';

export interface SourceOutageOptions {
  readonly source: Source;
  readonly clock: Clock;
  readonly telemetry: Telemetry;
  readonly state: ProcessingState;
}

/**
 * Whether the source answers, and what to do while it does not. The processor is `OFFLINE` from the
 * first sign of an outage until the source answers again; in-flight work goes on and is committed as
 * usual meanwhile. Two kinds of outage: a poll that failed in a way that may pass (`failed`: wait with
 * exponential backoff, 100 ms to 10 s, and poll again, one warning per try), and a source that
 * reconnects by itself (AMQP) and says so through `connectivity()` (`check`: one warning when it goes,
 * one when it is back). `error` is the redacted reason while offline.
 */
export class SourceOutage {
  /** Since when the source is failing (undefined while it answers). */
  private since: number | undefined;
  /** The backoff of the next try after a failed poll. */
  private retry: Backoff | undefined;
  private reason: string | undefined;

  constructor(private readonly options: SourceOutageOptions) {}

  get offline(): boolean {
    return this.since !== undefined;
  }

  /** Why the source is offline (redacted); undefined while it answers. */
  get error(): string | undefined {
    return this.reason;
  }

  /** A poll failed in a way that may pass: returns how long to wait before polling again. */
  failed(error: unknown): number {
    const { clock, state, telemetry } = this.options;
    if (this.since === undefined) {
      this.since = clock.now();
      this.retry = backoff({ kind: 'exponential', baseMs: 100, maxMs: 10_000, jitter: 0.2 });
      state.set('OFFLINE');
    }
    const retry = this.retry!;
    this.reason = redactSecrets(describeError(error));
    telemetry.emit('warning', {
      message: `source unavailable, retrying in ${retry.delayMs} ms: ${this.reason}`,
      error,
    });
    this.retry = retry.next();
    return retry.delayMs;
  }

  /**
   * Asks the source whether it is connected (asked after every poll: a source that reconnects by itself
   * only waits in `poll` while it is cut off). Going offline sets `OFFLINE`; coming back sets `back`.
   */
  check(back: ProcessingStateName): void {
    const { source, clock, state, telemetry } = this.options;
    const link = source.connectivity?.() ?? { connected: true };
    if (link.connected) {
      if (this.since !== undefined) this.online(back);
      return;
    }
    this.reason = redactSecrets(link.error ?? 'connection lost');
    if (this.since !== undefined) return;
    this.since = clock.now();
    state.set('OFFLINE');
    telemetry.emit('warning', {
      message: `source ${source.uri} is unreachable (${this.reason}): OFFLINE, reconnecting by itself`,
    });
  }

  private online(back: ProcessingStateName): void {
    const { source, clock, state, telemetry } = this.options;
    const down = clock.now() - this.since!;
    this.since = undefined;
    this.retry = undefined;
    this.reason = undefined;
    state.set(back);
    telemetry.emit('warning', {
      message: `source ${source.uri} is reachable again after ${down} ms: ${state.value}`,
    });
  }
}
