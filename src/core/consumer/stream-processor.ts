import { describeError, isTransientFailure } from '../errors/agentctl-error.js';
import { isPoisonStormError } from '../errors/poison-storm-error.js';
import type { Fetch, PartitionStatus } from '../sources/source.js';
import { ProcessingState, type ProcessingStateName } from '../state/processing-state.js';
import type { Partition } from '../types.js';
import { CarriedBatch } from './carried-batch.js';
import { type CommitPolicy, capForSource, DEFAULT_COMMIT_POLICY } from './commit-policy.js';
import { Committer } from './committer.js';
import { describePartitions } from './describe-partitions.js';
import { doneRecorder } from './done-recorder.js';
import { LoopTurns } from './loop-turns.js';
import { PartitionHandOff } from './partition-hand-off.js';
import { PipelineSlot } from './pipeline-slot.js';
import { DEFAULT_POISON_LIMIT, PoisonGuard } from './poison-guard.js';
import { ProgressTimes } from './progress-times.js';
import { SourceOutage } from './source-outage.js';
import type { ProcessorSummary, StreamProcessorOptions } from './stream-processor-options.js';
import { unparkedFailure } from './unparked-failure.js';
import { whileCommitting } from './while-committing.js';

export type { ProcessorSummary, StreamProcessorOptions } from './stream-processor-options.js';

/**
 * The poll loop. Reads from the source, submits to the pipeline the factory builds for the assigned
 * partitions, and has the `Committer` make progress durable: each partition's contiguous done watermark
 * through the commit policy, after the journal in the same store transaction — or, for a source that
 * settles each message (ack-based queues), every done message on its own right after the flush that made
 * its records durable. A message the pipeline rejects is held and retried every loop; if rejections last
 * `pauseAfterMs` its partition is paused at the source until it goes through (`CarriedBatch`). A source
 * that fails in a way that may pass makes the processor `OFFLINE` and is polled again with backoff
 * (`SourceOutage`). On reassignment the pipeline is closed, joined (at most `drainTimeoutMs`), committed
 * and rebuilt; a kept partition whose work the join abandoned is read again from its first position not
 * done (`PartitionHandOff`, `PipelineSlot`). `drain()` stops polling, lets in-flight work finish
 * (bounded), commits and closes; `terminate()` abandons at once. Aborting the signal given to `run` drains.
 */
export class StreamProcessor {
  readonly state: ProcessingState;
  /** Per partition: what was read and done, and how it is committed. */
  private readonly committer: Committer;
  /** The batch read and not yet taken by the pipeline (backpressure). */
  private readonly carried: CarriedBatch;
  private readonly outage: SourceOutage;
  private readonly handOff: PartitionHandOff;
  private readonly progressTimes: ProgressTimes;
  private readonly ending = new Set<Partition>();
  private readonly poison: PoisonGuard;
  private readonly policy: CommitPolicy;
  private readonly pipeline: PipelineSlot;
  private readonly turns: LoopTurns;
  private drainRequested = false;
  /** Aborted by a drain asked for while the source is still connecting (it may never answer). */
  private starting: AbortController | undefined;
  private terminated = false;
  private readonly controller = new AbortController();
  private caughtUp = false;
  /** The error `run` failed with. */
  private failure: string | undefined;

  constructor(private readonly options: StreamProcessorOptions) {
    const { source, clock, telemetry, stats } = options;
    this.state = options.state ?? new ProcessingState(() => clock.now());
    this.poison = options.poisonGuard ?? new PoisonGuard(options.poisonLimit ?? DEFAULT_POISON_LIMIT);
    this.policy = capForSource(options.commitPolicy ?? DEFAULT_COMMIT_POLICY, source.inFlightLimit);
    this.committer = new Committer({ ...options, policy: this.policy });
    this.pipeline = new PipelineSlot({
      ...options,
      commit: doneRecorder(this.committer, this.poison, stats, telemetry),
      poison: this.poison,
      signal: this.controller.signal,
    });
    this.carried = new CarriedBatch({ ...options, committer: this.committer, poison: this.poison });
    this.outage = new SourceOutage({ source, clock, telemetry, state: this.state });
    this.handOff = new PartitionHandOff({
      ...options,
      committer: this.committer,
      carried: this.carried,
      pipeline: this.pipeline,
      signal: this.controller.signal,
    });
    this.progressTimes = new ProgressTimes(clock, telemetry);
    this.turns = new LoopTurns(clock);
    this.state.onChange((to, from) => telemetry.emit('state', { from, to }));
  }

  /** Messages read and not yet done. */
  get inFlight(): number {
    return this.committer.inFlight;
  }

  get error(): string | undefined {
    return this.failure ?? this.outage.error;
  }

  /** Asks the loop to stop taking work, finish in flight, commit and return. */
  requestDrain(): void {
    this.drainRequested = true;
    this.starting?.abort(new Error('drain requested while starting'));
  }

  /** Abandons in-flight work now; nothing more is committed. */
  terminate(): void {
    this.terminated = true;
    this.committer.stop();
    this.controller.abort(new Error('terminated'));
    this.pipeline.terminate();
  }

  /** Runs until drained, terminated, empty (`untilEmpty`) or `maxEvents`. Rejects on a fatal error. */
  async run(signal?: AbortSignal): Promise<ProcessorSummary> {
    const { clock, stats } = this.options;
    const started = clock.now();
    signal?.addEventListener('abort', () => this.requestDrain(), { once: true });
    let stoppedBy: ProcessorSummary['stoppedBy'] = 'drain';
    try {
      if (!(await this.start())) {
        // Drained or terminated before the source answered: nothing was read, nothing to commit.
        await this.closeQuietly();
        this.state.set('SHUTDOWN');
        return {
          read: 0,
          done: 0,
          commits: 0,
          durationMs: clock.now() - started,
          stoppedBy: this.terminated ? 'terminate' : signal?.aborted ? 'signal' : 'drain',
        };
      }
      this.state.set('IDLE');
      for (;;) {
        if (this.terminated) {
          stoppedBy = 'terminate';
          break;
        }
        if (this.drainRequested) {
          stoppedBy = signal?.aborted ? 'signal' : 'drain';
          break;
        }
        await this.handOff.apply();
        if (
          this.options.maxEvents !== undefined &&
          stats.read >= this.options.maxEvents &&
          !this.carried.holding
        ) {
          if (this.committer.drained) {
            stoppedBy = 'max-events';
            break;
          }
          // Nothing more to read: wait on a timer (not only microtasks), so that in-flight work can finish.
          await this.sleep(1);
        } else if (this.pipeline.current === undefined) {
          this.outage.check(this.readingState());
          if (!this.outage.offline) this.state.set('IDLE');
          if (this.options.untilEmpty && (await this.handOff.nothingLeft())) {
            stoppedBy = 'empty';
            break;
          }
          await this.sleep(100);
          continue;
        } else if (this.carried.holding) {
          this.submitCarried();
        } else {
          await this.fetch();
        }
        await this.pollStrategy();
        this.poison.check();
        await this.committer.commit(false);
        await this.turns.due();
        if (this.pipeline.current !== undefined && stats.read > 0 && !this.outage.offline) {
          this.state.set(this.caughtUp ? 'STEADY' : 'ACTIVE');
        }
        if (
          this.options.untilEmpty &&
          this.caughtUp &&
          !this.carried.holding &&
          this.committer.drained &&
          (await this.handOff.nothingLeft())
        ) {
          stoppedBy = 'empty';
          break;
        }
      }
      if (!this.terminated) await this.drain();
      if (this.terminated) {
        stoppedBy = 'terminate';
        await this.closeQuietly();
        this.state.set('SHUTDOWN');
      }
      return {
        read: stats.read,
        done: stats.done,
        commits: stats.commits,
        durationMs: clock.now() - started,
        stoppedBy,
      };
    } catch (error) {
      // A run the tripped guard refused surfaces as the runner's failure, caused by the storm.
      const cause = isPoisonStormError(error) ? error : (error as Error | undefined)?.cause;
      const storm = isPoisonStormError(cause);
      const failure = storm ? cause : error;
      this.failure = describeError(failure);
      if (storm) {
        await this.pipeline.stopAfterStorm();
        await this.committer.commit(true).catch(() => undefined);
      } else {
        // Nothing more is committed behind a failure: not even a commit owed to the one being written.
        this.committer.stop();
        this.pipeline.current?.terminate();
      }
      this.state.set('ERROR');
      await this.closeQuietly();
      throw failure;
    }
  }

  /**
   * Connects the source and starts the assignor; false when a drain or `terminate` stopped it first (a
   * source that does not answer must not keep the agent from stopping).
   */
  private async start(): Promise<boolean> {
    const { source, assignor } = this.options;
    const starting = new AbortController();
    this.starting = starting;
    if (this.drainRequested) starting.abort(new Error('drain requested while starting'));
    const signal = AbortSignal.any([this.controller.signal, starting.signal]);
    try {
      const listed = await source.connect(signal);
      await assignor.start(signal, listed ?? undefined);
      return !signal.aborted;
    } catch (error) {
      if (signal.aborted) return false;
      throw error;
    } finally {
      this.starting = undefined;
    }
  }

  /** Where each partition stands, merged with what this processor knows (owner, paused, in flight). */
  describe(): Promise<PartitionStatus[]> {
    const { source, assignor } = this.options;
    return describePartitions(source, assignor, this.committer, this.carried, this.progressTimes);
  }

  private async fetch(): Promise<void> {
    const { source, stats } = this.options;
    let max = this.options.pollMax ?? 500;
    if (this.options.maxEvents !== undefined) max = Math.min(max, this.options.maxEvents - stats.read);
    if (max <= 0) return;
    let fetched: Fetch;
    const asked = this.options.clock.now();
    try {
      fetched = await source.poll(max, this.controller.signal);
    } catch (error) {
      if (!isTransientFailure(error) || this.terminated) throw error;
      await this.sleep(this.outage.failed(error));
      return;
    }
    this.outage.check(this.readingState());
    // An idle poll must wait (the Source contract); if one answers at once with nothing, wait here, so
    // that this loop never spins on microtasks alone and starves the timers other work needs — unless it
    // tells that the source has just caught up (once per catching up: no spin), which `untilEmpty` stops on.
    const news = fetched.caughtUp && !this.caughtUp;
    if (
      fetched.messages.length === 0 &&
      fetched.ended.length === 0 &&
      !news &&
      this.options.clock.now() - asked < 2
    ) {
      await this.sleep(5);
    }
    this.caughtUp = fetched.caughtUp;
    const messages = fetched.messages;
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      this.committer.track(m.partition, m.position);
    }
    stats.read += messages.length;
    this.carried.hold(messages);
    for (const partition of fetched.ended) this.ending.add(partition);
    this.submitCarried();
    this.markEnded();
  }

  private submitCarried(): void {
    try {
      this.carried.submit(this.pipeline.current!);
    } catch (error) {
      throw unparkedFailure(error);
    }
  }

  /** The state while the source answers: reading (behind or caught up), or idle. */
  private readingState(): ProcessingStateName {
    const reading = this.pipeline.current !== undefined && this.options.stats.read > 0;
    return reading ? (this.caughtUp ? 'STEADY' : 'ACTIVE') : 'IDLE';
  }

  /** Ended partitions get an END entry behind their last message, done at once (see `Committer.end`). */
  private markEnded(): void {
    for (const partition of this.ending) {
      this.ending.delete(partition);
      this.committer.end(partition);
    }
  }

  private async pollStrategy(): Promise<void> {
    const strategy = this.pipeline.current;
    if (strategy === undefined) return;
    let pending: Promise<void> | undefined;
    try {
      pending = strategy.poll();
      if (pending !== undefined)
        await whileCommitting(pending, this.committer, this.options.clock, this.policy.intervalMs);
    } catch (error) {
      throw unparkedFailure(error);
    }
    if (pending === undefined && this.carried.holding) await this.sleep(1);
  }

  private async drain(): Promise<void> {
    const { assignor, source } = this.options;
    this.state.set('SHUTTINGDOWN');
    await this.pipeline.close();
    if (this.terminated) return;
    await this.committer.commit(true);
    await assignor.stop();
    await source.close();
    this.state.set('SHUTDOWN');
  }

  private async closeQuietly(): Promise<void> {
    await this.options.assignor.stop().catch(() => undefined);
    await this.options.source.close().catch(() => undefined);
  }

  private async sleep(ms: number): Promise<void> {
    try {
      await this.options.clock.sleep(ms, this.controller.signal);
    } catch {
      // terminated while sleeping
    }
    this.turns.turned();
  }
}
