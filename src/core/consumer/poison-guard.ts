import { PoisonStormError } from '../errors/poison-storm-error.js';
import type { RunRecord } from '../model/run-record.js';
import { GatedRunner } from '../runners/gated-runner.js';
import type { Runner } from '../runners/runner.js';

/**
 * When a consumer should stop instead of parking everything: after `maxConsecutive` parked messages in a
 * row, or when more than `maxRatio` of the last `window` done messages were parked.
 */
export interface PoisonLimit {
  readonly maxConsecutive: number;
  /** In (0, 1]; 1 disables the ratio check. */
  readonly maxRatio: number;
  readonly window: number;
}

export const DEFAULT_POISON_LIMIT: PoisonLimit = { maxConsecutive: 100, maxRatio: 1, window: 1000 };

/**
 * Counts outcomes and trips when the limit is crossed. Messages are counted as they are done, but the
 * pipeline may run a whole poll before it parks the first of them: so the runner the guard `gate`s also
 * counts runs failing in a row as they finish (a success, or a message done without parking, resets the
 * count), and once the guard tripped it starts no more runs. A storm then stops within its limit plus
 * the runs already in flight (at most the runner's concurrency).
 */
export class PoisonGuard {
  private gated: GatedRunner | undefined;
  private failedRuns = 0;
  private consecutive = 0;
  private readonly ring: Uint8Array;
  private index = 0;
  private filled = 0;
  private parkedInWindow = 0;
  private trippedBy: string | undefined;

  constructor(private readonly limit: PoisonLimit = DEFAULT_POISON_LIMIT) {
    this.ring = new Uint8Array(Math.max(1, limit.window));
  }

  /** A message is done: parked or not. */
  record(parked: boolean): void {
    this.consecutive = parked ? this.consecutive + 1 : 0;
    if (!parked) this.failedRuns = 0;
    if (this.limit.maxRatio < 1) {
      const bit = parked ? 1 : 0;
      if (this.filled === this.ring.length) this.parkedInWindow -= this.ring[this.index]!;
      else this.filled++;
      this.ring[this.index] = bit;
      this.parkedInWindow += bit;
      this.index = (this.index + 1) % this.ring.length;
    }
    if (this.trippedBy !== undefined) return;
    if (this.consecutive >= this.limit.maxConsecutive) {
      this.trippedBy = `${this.consecutive} messages failed in a row`;
    } else if (
      this.limit.maxRatio < 1 &&
      this.filled === this.ring.length &&
      this.parkedInWindow / this.filled > this.limit.maxRatio
    ) {
      this.trippedBy = `${this.parkedInWindow} of the last ${this.filled} messages failed`;
    }
  }

  get tripped(): boolean {
    return this.trippedBy !== undefined;
  }

  /** Why it tripped (`100 messages failed in a row`), once it did. */
  get reason(): string | undefined {
    return this.trippedBy;
  }

  /** A run of the gated runner finished. */
  recordRun(run: RunRecord): void {
    if (run.state !== 'failed') {
      if (run.state === 'succeeded') this.failedRuns = 0;
      return;
    }
    this.failedRuns++;
    if (this.trippedBy === undefined && this.failedRuns >= this.limit.maxConsecutive) {
      this.trippedBy = `${this.failedRuns} runs failed in a row`;
    }
  }

  /** The runner the pipeline should use: `runner`, counting its runs and starting none once tripped. */
  gate(runner: Runner): Runner {
    this.gated = new GatedRunner(runner, {
      refusal: () => (this.trippedBy === undefined ? undefined : this.error()),
      finished: (run) => this.recordRun(run),
    });
    return this.gated;
  }

  /** Whether a runner is gated (else a tripped guard cannot hold back the work already submitted). */
  get gating(): boolean {
    return this.gated !== undefined;
  }

  /** Resolves once the runs the gated runner started have finished. */
  settled(): Promise<void> {
    return this.gated?.settled() ?? Promise.resolve();
  }

  /** @throws PoisonStormError once tripped. */
  check(): void {
    if (this.trippedBy !== undefined) throw this.error();
  }

  private error(): PoisonStormError {
    return new PoisonStormError(
      `poison storm: ${this.trippedBy}; the consumer stopped instead of parking everything`,
      {
        hint: 'look at `agentctl failed list` for the common error, fix the cause, then `agentctl replay --failed`; raise consumer.poisonLimit if this rate of failures is expected',
      },
    );
  }
}
