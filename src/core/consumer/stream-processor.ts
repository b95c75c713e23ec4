import { type Clock, SLEEP_CANCELLED } from '../clock.js';
import { describeError, isTransientFailure } from '../errors/agentctl-error.js';
import { isPoisonStormError } from '../errors/poison-storm-error.js';
import type { Stats } from '../model/stats.js';
import { redactSecrets } from '../redact.js';
import { type Backoff, backoff } from '../retry/backoff.js';
import type { Fetch, PartitionStatus, Source } from '../sources/source.js';
import { ProcessingState } from '../state/processing-state.js';
import type { Journal } from '../store/journal.js';
import type { StateStore } from '../store/state-store.js';
import {
  type Commit,
  type DoneOutcome,
  isInvalidMessage,
  MessageRejected,
  type ProcessingStrategy,
  type ProcessingStrategyFactory,
} from '../strategies/processing-strategy.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import {
  type Bytes,
  END_OF_PARTITION,
  type Message,
  offsetsOf,
  type Partition,
  type Position,
  type StartPosition,
} from '../types.js';
import type { AssignmentChanges, Assignor, Revocation } from './assignor.js';
import { type CommitPolicy, DEFAULT_COMMIT_POLICY } from './commit-policy.js';
import { Committer } from './committer.js';
import { DEFAULT_POISON_LIMIT, PoisonGuard, type PoisonLimit } from './poison-guard.js';

export interface StreamProcessorOptions {
  readonly source: Source;
  readonly store: StateStore;
  readonly assignor: Assignor;
  readonly factory: ProcessingStrategyFactory<Bytes>;
  /** The consumer group (agent name) checkpoints belong to. */
  readonly group: string;
  /** This agent's id, recorded as checkpoint writer. */
  readonly owner: string;
  readonly journal: Journal;
  readonly clock: Clock;
  readonly telemetry: Telemetry;
  readonly stats: Stats;
  readonly state?: ProcessingState;
  readonly commitPolicy?: CommitPolicy;
  readonly poisonLimit?: PoisonLimit;
  /**
   * The guard to count with instead of one built from `poisonLimit`: one that gates the pipeline's runner
   * (`PoisonGuard.gate`), so that a storm starts no run past its limit.
   */
  readonly poisonGuard?: PoisonGuard;
  /** Where partitions without a checkpoint start (default earliest). */
  readonly initial?: StartPosition;
  /** Most messages taken per source poll (default 500). */
  readonly pollMax?: number;
  /** A partition whose message is rejected this long is paused at the source (default 5 s). */
  readonly pauseAfterMs?: number;
  /** Stop (draining) once the source is caught up and everything read is done. */
  readonly untilEmpty?: boolean;
  /** Stop (draining) after this many messages were read. */
  readonly maxEvents?: number;
  /** Time given to in-flight work when draining (default 30 s). */
  readonly drainTimeoutMs?: number;
}

/** What a finished `run()` reports. */
export interface ProcessorSummary {
  readonly read: number;
  readonly done: number;
  readonly commits: number;
  readonly durationMs: number;
  /** Why it stopped. */
  readonly stoppedBy: 'empty' | 'max-events' | 'drain' | 'signal' | 'terminate';
}

/**
 * The poll loop. Reads from the source, submits to the pipeline the factory builds for the assigned
 * partitions, and has the `Committer` make progress durable: each partition's contiguous done watermark
 * through the commit policy, after the journal in the same store transaction — or, for a source that
 * settles each message (ack-based queues), every done message on its own right after the flush that made
 * its records durable. A message the pipeline rejects is held and retried every loop; if rejections last
 * `pauseAfterMs` its partition is paused at the source until it goes through. On reassignment the
 * pipeline is closed, joined (at most `drainTimeoutMs`), committed and rebuilt; a kept partition whose
 * work the join abandoned is read again from its first position not done. `drain()` stops polling, lets
 * in-flight work finish (bounded), commits and closes; `terminate()` abandons at once. Aborting the
 * signal given to `run` drains.
 */
export class StreamProcessor {
  readonly state: ProcessingState;
  /** Per partition: what was read and done, and how it is committed. */
  private readonly committer: Committer;
  private readonly paused = new Set<Partition>();
  private readonly ending = new Set<Partition>();
  private readonly poison: PoisonGuard;
  private readonly policy: CommitPolicy;
  private strategy: ProcessingStrategy<Bytes> | undefined;
  /** A pipeline being closed and joined (reassignment, drain): `terminate` must reach it too. */
  private joining: ProcessingStrategy<Bytes> | undefined;
  private carried: readonly Message<Bytes>[] = [];
  private carriedAt = 0;
  private rejectedSince: number | undefined;
  private drainRequested = false;
  /** Aborted by a drain asked for while the source is still connecting (it may never answer). */
  private starting: AbortController | undefined;
  private terminated = false;
  private readonly controller = new AbortController();
  private caughtUp = false;
  private lastError: string | undefined;
  /** Since when the source is failing (undefined while it answers), and the backoff of the next try. */
  private offlineSince: number | undefined;
  private retry: Backoff | undefined;
  /** Changes taken from the assignor by the `untilEmpty` check, applied at the top of the next loop. */
  private pendingChanges: AssignmentChanges | undefined;

  constructor(private readonly options: StreamProcessorOptions) {
    this.state = options.state ?? new ProcessingState(() => options.clock.now());
    this.poison = options.poisonGuard ?? new PoisonGuard(options.poisonLimit ?? DEFAULT_POISON_LIMIT);
    this.policy = capForSource(options.commitPolicy ?? DEFAULT_COMMIT_POLICY, options.source.inFlightLimit);
    this.committer = new Committer({ ...options, policy: this.policy });
    this.state.onChange((to, from) => options.telemetry.emit('state', { from, to }));
  }

  /** Messages read and not yet done. */
  get inFlight(): number {
    return this.committer.inFlight;
  }

  get error(): string | undefined {
    return this.lastError;
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
    this.strategy?.terminate();
    this.joining?.terminate();
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
        await this.applyAssignment();
        if (
          this.options.maxEvents !== undefined &&
          stats.read >= this.options.maxEvents &&
          this.carried.length === 0
        ) {
          if (this.watermarksDrained()) {
            stoppedBy = 'max-events';
            break;
          }
          // Nothing more to read: wait on a timer (not only microtasks), so that in-flight work can finish.
          await this.sleep(1);
        } else if (this.strategy === undefined) {
          this.noteConnectivity();
          if (this.offlineSince === undefined) this.state.set('IDLE');
          if (this.options.untilEmpty && (await this.nothingLeft())) {
            stoppedBy = 'empty';
            break;
          }
          await this.sleep(100);
          continue;
        } else if (this.carried.length > 0) {
          this.submitCarried();
        } else {
          await this.fetch();
        }
        await this.pollStrategy();
        this.poison.check();
        await this.committer.commit(false);
        if (this.strategy !== undefined && stats.read > 0 && this.offlineSince === undefined) {
          this.state.set(this.caughtUp ? 'STEADY' : 'ACTIVE');
        }
        if (
          this.options.untilEmpty &&
          this.caughtUp &&
          this.carried.length === 0 &&
          this.watermarksDrained() &&
          (await this.nothingLeft())
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
      this.lastError = describeError(failure);
      if (storm) await this.stopAfterStorm();
      else this.strategy?.terminate();
      this.state.set('ERROR');
      await this.closeQuietly();
      throw failure;
    }
  }

  /**
   * After a poison storm: the gated runner starts nothing more, but the runs under way finish and are
   * recorded, the messages done before the first refused one are forwarded (parked, published), then the
   * rest is abandoned (redelivered) and everything done is committed, so that nothing that ran runs again.
   */
  private async stopAfterStorm(): Promise<void> {
    const strategy = this.strategy;
    this.strategy = undefined;
    if (strategy !== undefined) {
      if (this.poison.gating) {
        const timeoutMs = this.options.drainTimeoutMs ?? 30_000;
        strategy.close();
        // Throws once it reaches a message whose run was refused: the ones before it are through.
        await strategy.join(timeoutMs).catch(() => undefined);
        const timer = new AbortController();
        await Promise.race([
          this.poison.settled(),
          this.options.clock.sleep(timeoutMs, timer.signal).catch(() => undefined),
        ]);
        timer.abort(SLEEP_CANCELLED);
      }
      strategy.terminate();
    }
    await this.committer.commit(true).catch(() => undefined);
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
      await source.connect(signal);
      await assignor.start(signal);
      return !signal.aborted;
    } catch (error) {
      if (signal.aborted) return false;
      throw error;
    } finally {
      this.starting = undefined;
    }
  }

  /** Where each partition stands, merged with what this processor knows (owner, paused, in flight). */
  async describe(): Promise<PartitionStatus[]> {
    const statuses = await this.options.source.describe();
    const owners = await this.options.assignor.owners().catch(() => new Map<Partition, string>());
    return statuses.map((s) => ({
      ...s,
      ...(this.paused.has(s.partition) ? { state: 'paused' as const } : {}),
      ...(owners.has(s.partition) ? { owner: owners.get(s.partition)! } : {}),
      ...(this.committer.committedAt(s.partition) !== undefined && s.committed === undefined
        ? { committed: this.committer.committedAt(s.partition)! }
        : {}),
    }));
  }

  private readonly commit: Commit = (message: Message<unknown>, outcome: DoneOutcome = 'processed') => {
    const { stats, telemetry } = this.options;
    const offsets = offsetsOf(message);
    for (let i = 0; i < offsets.length; i++) {
      const offset = offsets[i]!;
      this.committer.done(offset.partition, offset.position);
      if (telemetry.has('message'))
        telemetry.emit('message', { partition: offset.partition, position: offset.position, outcome });
    }
    const n = offsets.length;
    stats.done += n;
    switch (outcome) {
      case 'processed':
        stats.processed += n;
        break;
      case 'unmatched':
        stats.unmatched += n;
        break;
      case 'filtered':
        stats.filtered += n;
        break;
      case 'parked':
        stats.parked += n;
        break;
    }
    this.poison.record(outcome === 'parked');
    this.committer.counted(n);
  };

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
      await this.offline(error);
      return;
    }
    this.noteConnectivity();
    // An idle poll must wait (the Source contract); if one answers at once with nothing, wait here, so
    // that this loop never spins on microtasks alone and starves the timers other work needs.
    if (fetched.messages.length === 0 && fetched.ended.length === 0 && this.options.clock.now() - asked < 2) {
      await this.sleep(5);
    }
    this.caughtUp = fetched.caughtUp;
    const messages = fetched.messages;
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      this.committer.track(m.partition, m.position);
    }
    stats.read += messages.length;
    this.carried = messages;
    this.carriedAt = 0;
    for (const partition of fetched.ended) this.ending.add(partition);
    this.submitCarried();
    this.markEnded();
  }

  /** Submits held messages in order until the pipeline rejects one. */
  private submitCarried(): void {
    const strategy = this.strategy!;
    const messages = this.carried;
    let i = this.carriedAt;
    try {
      for (; i < messages.length; i++) {
        const m = messages[i]!;
        if (!this.committer.has(m.partition)) continue;
        strategy.submit(m);
        if (this.poison.tripped) this.poison.check();
      }
    } catch (error) {
      if (!(error instanceof MessageRejected)) throw this.unhandled(error);
      this.carriedAt = i;
      this.onRejected(messages[i]!.partition);
      return;
    }
    this.carried = [];
    this.carriedAt = 0;
    this.rejectedSince = undefined;
    if (this.paused.size > 0) {
      const partitions = [...this.paused];
      this.paused.clear();
      this.options.source.resume(partitions);
      for (const partition of partitions)
        this.options.telemetry.emit('backpressure', { partition, paused: false });
    }
  }

  /**
   * The source failed in a way that may pass (a broker connection lost, a throttled stream): wait with
   * backoff and try again, `OFFLINE` meanwhile. In-flight work goes on and is committed as usual.
   */
  private async offline(error: unknown): Promise<void> {
    const now = this.options.clock.now();
    if (this.offlineSince === undefined) {
      this.offlineSince = now;
      this.retry = backoff({ kind: 'exponential', baseMs: 100, maxMs: 10_000, jitter: 0.2 });
      this.state.set('OFFLINE');
    }
    this.lastError = redactSecrets(describeError(error));
    this.options.telemetry.emit('warning', {
      message: `source unavailable, retrying in ${this.retry!.delayMs} ms: ${this.lastError}`,
      error,
    });
    await this.sleep(this.retry!.delayMs);
    this.retry = this.retry!.next();
  }

  /**
   * A source that reconnects by itself (AMQP) only waits in `poll` while it is cut off, so it is asked
   * after every poll: `OFFLINE` from the moment it says it is not connected — with one warning, and the
   * reason as `error` for the status — until it is connected again. In-flight work goes on meanwhile.
   */
  private noteConnectivity(): void {
    const link = this.options.source.connectivity?.() ?? { connected: true };
    if (link.connected) {
      if (this.offlineSince !== undefined) this.online();
      return;
    }
    this.lastError = redactSecrets(link.error ?? 'connection lost');
    if (this.offlineSince !== undefined) return;
    this.offlineSince = this.options.clock.now();
    this.state.set('OFFLINE');
    this.options.telemetry.emit('warning', {
      message: `source ${this.options.source.uri} is unreachable (${this.lastError}): OFFLINE, reconnecting by itself`,
    });
  }

  private online(): void {
    const down = this.options.clock.now() - this.offlineSince!;
    this.offlineSince = undefined;
    this.retry = undefined;
    this.lastError = undefined;
    const reading = this.strategy !== undefined && this.options.stats.read > 0;
    this.state.set(reading ? (this.caughtUp ? 'STEADY' : 'ACTIVE') : 'IDLE');
    this.options.telemetry.emit('warning', {
      message: `source ${this.options.source.uri} is reachable again after ${down} ms: ${this.state.value}`,
    });
  }

  private onRejected(partition: Partition): void {
    const now = this.options.clock.now();
    if (this.rejectedSince === undefined) {
      this.rejectedSince = now;
      return;
    }
    if (now - this.rejectedSince >= (this.options.pauseAfterMs ?? 5_000) && !this.paused.has(partition)) {
      this.paused.add(partition);
      this.options.source.pause([partition]);
      this.options.telemetry.emit('backpressure', { partition, paused: true });
    }
  }

  /** Ended partitions get an END entry behind their last message, done at once (see `Committer.end`). */
  private markEnded(): void {
    for (const partition of this.ending) {
      this.ending.delete(partition);
      this.committer.end(partition);
    }
  }

  private async pollStrategy(): Promise<void> {
    const strategy = this.strategy;
    if (strategy === undefined) return;
    let pending: Promise<void> | undefined;
    try {
      pending = strategy.poll();
      if (pending !== undefined) await this.whileCommitting(pending);
    } catch (error) {
      throw this.unhandled(error);
    }
    if (pending === undefined && this.carried.length > 0) await this.sleep(1);
  }

  /**
   * Waits for the pipeline's work (an inline runner may work through a whole poll batch), committing on
   * the policy meanwhile, so that a long batch of slow steps is checkpointed as it goes rather than once
   * at its end.
   */
  private async whileCommitting(work: Promise<void>): Promise<void> {
    let settled = false;
    const done = work.then(
      () => {
        settled = true;
      },
      (error: unknown) => {
        settled = true;
        throw error;
      },
    );
    const every = Math.max(10, Math.min(250, this.policy.intervalMs));
    while (!settled) {
      const timer = new AbortController();
      await Promise.race([done, this.options.clock.sleep(every, timer.signal).catch(() => undefined)]);
      timer.abort(SLEEP_CANCELLED);
      if (!settled) await this.committer.commit(false);
    }
    await done;
  }

  private unhandled(error: unknown): unknown {
    if (isInvalidMessage(error)) {
      return new Error(
        `a message failed and nothing parked it (the pipeline has no DeadLetter step): ${error.message}`,
        {
          cause: error,
        },
      );
    }
    return error;
  }

  private async applyAssignment(): Promise<void> {
    const { assignor, source, store, group, telemetry } = this.options;
    const { assigned, revoked } = this.pendingChanges ?? assignor.takeChanges();
    this.pendingChanges = undefined;
    if (assigned.length === 0 && revoked.length === 0) return;
    await this.closePipeline(revoked);
    if (this.terminated) return;
    // The messages before the cursor were submitted to the pipeline just joined: only the rest is held.
    const gone = new Set(revoked.map((r) => r.partition));
    this.carried = this.carried.slice(this.carriedAt).filter((m) => !gone.has(m.partition));
    this.carriedAt = 0;
    if (revoked.length > 0) {
      await source.revoke([...gone]);
      for (const partition of gone) {
        this.committer.forget(partition);
        this.paused.delete(partition);
      }
      await assignor.released(revoked.filter((r) => r.reason !== 'lost').map((r) => r.partition));
      telemetry.emit('revoked', { partitions: [...gone], reason: summarise(revoked) });
    }
    await this.rereadAbandoned();
    if (assigned.length > 0) {
      const checkpoints = await store.checkpoints.get(group, source.id, assigned);
      const starts = new Map<Partition, StartPosition>();
      const described: Record<Partition, { start: StartPosition; initial: boolean }> = {};
      for (const partition of assigned) {
        const checkpoint = checkpoints.get(partition);
        const start: StartPosition = checkpoint
          ? { kind: 'after', position: checkpoint.position }
          : (this.options.initial ?? { kind: 'earliest' });
        if (checkpoint) this.committer.startedFrom(partition, checkpoint.position);
        if (checkpoint?.position === END_OF_PARTITION) {
          assignor.ended(partition);
          continue;
        }
        starts.set(partition, start);
        described[partition] = {
          start,
          initial: checkpoint === undefined && source.checkpointing === 'store',
        };
        this.committer.open(partition, assignor.fence(partition));
      }
      if (starts.size > 0) await source.assign(starts);
      telemetry.emit('assigned', {
        partitions: [...starts.keys()],
        starts: described,
        keptBy: source.checkpointing,
      });
    }
    this.buildPipeline();
  }

  /**
   * A join that timed out abandoned its in-flight work, of every partition: whatever any step held is
   * gone, not done, and the source has already read past it. Each kept partition with such a position is
   * read again from its first position not done (its held messages are dropped: they are read again
   * too), so its watermark can move on; positions done after that one are redelivered, and runs that
   * succeeded are skipped. A partition whose only positions not done are its held messages keeps them.
   */
  private async rereadAbandoned(): Promise<void> {
    const held = new Map<Partition, Position>();
    for (const m of this.carried) if (!held.has(m.partition)) held.set(m.partition, m.position);
    const from = new Map<Partition, Position>();
    for (const [partition, oldest] of this.committer.oldestPending())
      if (oldest !== held.get(partition)) from.set(partition, oldest);
    if (from.size === 0) return;
    const { source, telemetry } = this.options;
    await source.revoke([...from.keys()]);
    this.carried = this.carried.filter((m) => !from.has(m.partition));
    const starts = new Map<Partition, StartPosition>();
    for (const [partition, position] of from) {
      this.committer.reopen(partition);
      this.paused.delete(partition);
      starts.set(partition, { kind: 'at', position });
    }
    await source.assign(starts);
    telemetry.emit('warning', {
      message: `in-flight work was abandoned when the pipeline was rebuilt; reading again from ${[...from]
        .map(([p, position]) => `${p}@${position}`)
        .join(', ')}`,
    });
  }

  /**
   * Finishes the current pipeline (all in-flight work) and commits, before partitions change. A lost
   * partition belongs to another agent already: its work must stop now, not run on for the join, and the
   * pipeline is shared, so it is terminated instead (what kept partitions had in flight is read again).
   */
  private async closePipeline(revoked: readonly Revocation[]): Promise<void> {
    const strategy = this.strategy;
    if (strategy === undefined) return;
    this.strategy = undefined;
    const lost = revoked.filter((r) => r.reason === 'lost').map((r) => r.partition);
    for (const partition of lost) this.committer.drop(partition);
    if (lost.length > 0) strategy.terminate();
    else await this.join(strategy);
    if (this.terminated) return;
    await this.committer.commit(true);
  }

  private buildPipeline(): void {
    if (this.committer.size === 0) return;
    const { factory, journal, clock, telemetry } = this.options;
    this.strategy = factory.create({
      partitions: new Set(this.committer.partitions()),
      commit: this.commit,
      journal,
      clock,
      telemetry,
      signal: this.controller.signal,
      ordered: !this.committer.settlesEach,
    });
  }

  private watermarksDrained(): boolean {
    return this.committer.drained;
  }

  /** True when the assignor has nothing more to hand this processor (for `untilEmpty`). */
  private async nothingLeft(): Promise<boolean> {
    const { assignor } = this.options;
    // Commit first: a partition read to its end is only finished once END is committed, and only then
    // may its children be assigned.
    await this.committer.commit(true);
    await assignor.refresh();
    const changes = assignor.takeChanges();
    if (changes.assigned.length === 0 && changes.revoked.length === 0) {
      if (assignor.settled()) return true;
      // A partition waits for a dead owner's lease to expire: wait, then take it over.
      await this.sleep(100);
      return false;
    }
    this.pendingChanges = changes;
    return false;
  }

  private async drain(): Promise<void> {
    const { assignor, source } = this.options;
    this.state.set('SHUTTINGDOWN');
    const strategy = this.strategy;
    this.strategy = undefined;
    if (strategy !== undefined) await this.join(strategy);
    if (this.terminated) return;
    await this.committer.commit(true);
    await assignor.stop();
    await source.close();
    this.state.set('SHUTDOWN');
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
  }
}

/**
 * A source that stops delivering after `inFlightLimit` uncommitted messages is committed at a quarter of
 * that, so that deliveries keep flowing while a commit is written.
 */
function capForSource(policy: CommitPolicy, inFlightLimit: number | undefined): CommitPolicy {
  if (inFlightLimit === undefined) return policy;
  return { ...policy, messages: Math.max(1, Math.min(policy.messages, Math.ceil(inFlightLimit / 4))) };
}

function summarise(revoked: readonly Revocation[]): string {
  return [...new Set(revoked.map((r) => r.reason))].join(', ');
}
