import { PoisonStormError } from '../errors/poison-storm-error.js';

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

/** Counts outcomes and trips when the limit is crossed. */
export class PoisonGuard {
  private consecutive = 0;
  private readonly ring: Uint8Array;
  private index = 0;
  private filled = 0;
  private parkedInWindow = 0;
  private trippedBy: string | undefined;

  constructor(private readonly limit: PoisonLimit = DEFAULT_POISON_LIMIT) {
    this.ring = new Uint8Array(Math.max(1, limit.window));
  }

  record(parked: boolean): void {
    this.consecutive = parked ? this.consecutive + 1 : 0;
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

  /** @throws PoisonStormError once tripped. */
  check(): void {
    if (this.trippedBy === undefined) return;
    throw new PoisonStormError(
      `poison storm: ${this.trippedBy}; the consumer stopped instead of parking everything`,
      {
        hint: 'look at `agentctl failed list` for the common error, fix the cause, then `agentctl replay --failed`; raise consumer.poisonLimit if this rate of failures is expected',
      },
    );
  }
}
