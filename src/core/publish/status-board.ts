import { type Clock, systemClock } from '../clock.js';
import { describeError } from '../errors/agentctl-error.js';
import type { SinkStatus } from '../model/status-snapshot.js';

export interface PublisherStatusBoardOptions {
  readonly clock?: Clock;
  /** Consecutive failed efforts (efforts that gave up after their retries) that disable a sink. Default 5. */
  readonly disableAfter?: number;
  /** How long a disabled sink stays disabled before one trial effort is let through. Default 30 s. */
  readonly coolDownMs?: number;
}

/**
 * What the board says to an effort that wants to use a sink: go ahead, go ahead as the one trial of a
 * disabled sink whose cool-down passed, or stay away (park).
 */
export type Admission = 'enabled' | 'trial' | 'disabled';

interface SinkEntry {
  enabled: boolean;
  since: number;
  consecutiveFailures: number;
  /** While disabled: when the next trial may be granted. */
  retryAt?: number;
  /** While disabled: a trial effort is under way (half-open). */
  trial: boolean;
  lastError?: string;
}

/**
 * Per-sink health, shared by the publishers of an agent: a circuit breaker that disables a sink that keeps
 * failing instead of hammering it.
 *
 * - The unit of failure is the **effort**, not the send: `recordFailure` is called when an effort gave up
 *   after all its retries, `recordSuccess` when one was delivered. A short blip that retries absorb never
 *   disables a sink; `disableAfter` efforts in a row that exhausted their contingency do.
 * - While disabled, `admit` says `disabled` (publishers park at once, without calling the sink).
 * - Once `coolDownMs` has passed, the next `admit` grants one **trial** (half-open) and every other caller
 *   still sees `disabled`. Any success enables the sink again; a failure disables it for another cool-down.
 *   A trial that never reports (its caller aborted) lapses after `coolDownMs`, and another is granted.
 * - A half-open sink is reported as disabled (`enabled: false`) until the trial succeeds; `since` is when
 *   its current state began, so a sink that failed its trial keeps the `since` of the first disabling.
 *
 * Sinks are known by name (`Sink.name`); a name never seen is enabled.
 */
export class PublisherStatusBoard {
  private readonly clock: Clock;
  private readonly disableAfter: number;
  private readonly coolDownMs: number;
  private readonly sinks = new Map<string, SinkEntry>();

  constructor(options: PublisherStatusBoardOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.disableAfter = Math.max(1, options.disableAfter ?? 5);
    this.coolDownMs = Math.max(0, options.coolDownMs ?? 30_000);
  }

  /** Makes a sink appear in `statuses()` before it is first used. Idempotent. */
  register(name: string): void {
    this.entry(name);
  }

  /**
   * Whether an effort may use the sink now, granting the half-open trial when the cool-down has passed
   * (so a `trial` answer must be followed by `recordSuccess` or `recordFailure`). Never throws.
   */
  admit(name: string): Admission {
    const sink = this.entry(name);
    if (sink.enabled) return 'enabled';
    const now = this.clock.now();
    if (sink.retryAt !== undefined && now < sink.retryAt) return 'disabled';
    sink.trial = true;
    sink.retryAt = now + this.coolDownMs;
    return 'trial';
  }

  /** `admit(name) !== 'disabled'`: true when enabled, or when this call was granted the trial. */
  isEnabled(name: string): boolean {
    return this.admit(name) !== 'disabled';
  }

  /** An effort was delivered: the sink is enabled, its failure count reset. */
  recordSuccess(name: string): void {
    const sink = this.entry(name);
    if (!sink.enabled) {
      sink.enabled = true;
      sink.since = this.clock.now();
    }
    sink.consecutiveFailures = 0;
    sink.retryAt = undefined;
    sink.trial = false;
  }

  /**
   * An effort gave up. Disables the sink after `disableAfter` in a row, or at once when it was half-open;
   * a failure reported while disabled otherwise (an effort admitted before) only counts.
   */
  recordFailure(name: string, error: unknown): void {
    const sink = this.entry(name);
    const now = this.clock.now();
    sink.consecutiveFailures += 1;
    sink.lastError = describeError(error);
    if (sink.enabled) {
      if (sink.consecutiveFailures < this.disableAfter) return;
      sink.enabled = false;
      sink.since = now;
      sink.retryAt = now + this.coolDownMs;
    } else if (sink.trial) {
      sink.trial = false;
      sink.retryAt = now + this.coolDownMs;
    }
  }

  /** Milliseconds the sink has been in its current state (enabled or disabled). */
  duration(name: string): number {
    return Math.max(0, this.clock.now() - this.entry(name).since);
  }

  status(name: string): SinkStatus {
    const sink = this.entry(name);
    return {
      name,
      enabled: sink.enabled,
      since: sink.since,
      consecutiveFailures: sink.consecutiveFailures,
      ...(sink.retryAt === undefined ? {} : { retryAt: sink.retryAt }),
      ...(sink.lastError === undefined ? {} : { lastError: sink.lastError }),
    };
  }

  /** Every known sink, in the order they were first seen. Plain data, safe to serialise. */
  statuses(): SinkStatus[] {
    return [...this.sinks.keys()].map((name) => this.status(name));
  }

  private entry(name: string): SinkEntry {
    let sink = this.sinks.get(name);
    if (sink === undefined) {
      sink = { enabled: true, since: this.clock.now(), consecutiveFailures: 0, trial: false };
      this.sinks.set(name, sink);
    }
    return sink;
  }
}
