import { type Clock, SLEEP_CANCELLED } from '../clock.js';
import type { Journal } from '../store/journal.js';
import type {
  Commit,
  ProcessingStrategy,
  ProcessingStrategyFactory,
} from '../strategies/processing-strategy.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { Bytes, Partition } from '../types.js';
import type { PoisonGuard } from './poison-guard.js';

export interface PipelineSlotOptions {
  readonly factory: ProcessingStrategyFactory<Bytes>;
  readonly commit: Commit;
  readonly journal: Journal;
  readonly clock: Clock;
  readonly telemetry: Telemetry;
  readonly poison: PoisonGuard;
  /** Aborted when the processor is terminated. */
  readonly signal: AbortSignal;
  /** Time given to in-flight work when a pipeline is joined (default 30 s). */
  readonly drainTimeoutMs?: number;
}

/**
 * The processor's pipeline: at most one at a time, built by the factory for the assigned partitions,
 * closed and joined (at most `drainTimeoutMs`) before partitions change and when draining, or terminated
 * at once. `terminate` reaches the pipeline being joined too. Nothing here commits: the processor does,
 * after the pipeline it took is finished.
 */
export class PipelineSlot {
  private strategy: ProcessingStrategy<Bytes> | undefined;
  /** A pipeline being closed and joined (reassignment, drain): `terminate` must reach it too. */
  private joining: ProcessingStrategy<Bytes> | undefined;

  constructor(private readonly options: PipelineSlotOptions) {}

  /** The pipeline messages are submitted to; undefined while none is built. */
  get current(): ProcessingStrategy<Bytes> | undefined {
    return this.strategy;
  }

  /** Builds the pipeline for these partitions (none: no pipeline). */
  build(partitions: ReadonlySet<Partition>, ordered: boolean): void {
    if (partitions.size === 0) return;
    const { factory, commit, journal, clock, telemetry, signal } = this.options;
    this.strategy = factory.create({ partitions, commit, journal, clock, telemetry, signal, ordered });
  }

  /**
   * Takes the pipeline out of the slot and finishes it: joined, or terminated when `abandon` (its work
   * must stop now). False when there was none.
   */
  async close(abandon = false): Promise<boolean> {
    const strategy = this.strategy;
    if (strategy === undefined) return false;
    this.strategy = undefined;
    if (abandon) strategy.terminate();
    else await this.join(strategy);
    return true;
  }

  /**
   * After a poison storm: the gated runner starts nothing more, but the runs under way finish and are
   * recorded, the messages done before the first refused one are forwarded (parked, published), then the
   * rest is abandoned (redelivered). The processor commits what is done afterwards, so that nothing that
   * ran runs again.
   */
  async stopAfterStorm(): Promise<void> {
    const strategy = this.strategy;
    this.strategy = undefined;
    if (strategy === undefined) return;
    const { poison, clock } = this.options;
    if (poison.gating) {
      const timeoutMs = this.options.drainTimeoutMs ?? 30_000;
      strategy.close();
      // Throws once it reaches a message whose run was refused: the ones before it are through.
      await strategy.join(timeoutMs).catch(() => undefined);
      const timer = new AbortController();
      await Promise.race([poison.settled(), clock.sleep(timeoutMs, timer.signal).catch(() => undefined)]);
      timer.abort(SLEEP_CANCELLED);
    }
    strategy.terminate();
  }

  /** Abandons the pipeline and the one being joined, now. */
  terminate(): void {
    this.strategy?.terminate();
    this.joining?.terminate();
  }

  /** Closes and joins a pipeline (at most `drainTimeoutMs`); `terminate` meanwhile abandons it at once. */
  private async join(strategy: ProcessingStrategy<Bytes>): Promise<void> {
    this.joining = strategy;
    try {
      strategy.close();
      await strategy.join(this.options.drainTimeoutMs ?? 30_000);
    } finally {
      this.joining = undefined;
    }
  }
}
