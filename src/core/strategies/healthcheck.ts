import { closeSync, openSync, utimesSync } from 'node:fs';
import { type Clock, systemClock } from '../clock.js';
import type { Message } from '../types.js';
import { ForwardingStrategy } from './forwarding-strategy.js';
import type { ProcessingStrategy } from './processing-strategy.js';

export interface HealthcheckOptions {
  /** The file to touch; created if missing (its directory must exist). */
  readonly path: string;
  /** Touches at most this often. Default 1000 ms. */
  readonly intervalMs?: number;
  /** Paces the touches and sets the file's modification time. Default: the system clock. */
  readonly clock?: Clock;
}

/**
 * Proves the pipeline is being driven: every `poll` that comes at least `intervalMs` after the last
 * touch sets the file's modification time to now, so an orchestrator's liveness probe can check its age
 * (as arroyo's Healthcheck). A consumer stuck anywhere stops polling, and the file goes stale.
 *
 * Forwards every message as is; `submit` throws what the next step throws (`MessageRejected` too).
 * `poll` returns what the next step's does.
 * @throws from `poll`: the file system error when the file cannot be touched.
 */
export class Healthcheck<T> extends ForwardingStrategy<T, T> {
  private readonly intervalMs: number;
  private readonly clock: Clock;
  private lastTouch = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly options: HealthcheckOptions,
    next: ProcessingStrategy<T>,
  ) {
    super(next);
    this.intervalMs = options.intervalMs ?? 1000;
    this.clock = options.clock ?? systemClock;
  }

  submit(message: Message<T>): void {
    if (this.closed) throw new Error('Healthcheck: submit after close');
    this.next.submit(message);
  }

  override poll(): Promise<void> | undefined {
    if (!this.terminated) {
      const now = this.clock.now();
      if (now - this.lastTouch >= this.intervalMs) this.touch(now);
    }
    return super.poll();
  }

  private touch(now: number): void {
    closeSync(openSync(this.options.path, 'a'));
    const time = new Date(now);
    utimesSync(this.options.path, time, time);
    this.lastTouch = now;
  }
}
