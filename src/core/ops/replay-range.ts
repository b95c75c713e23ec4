import { hostname } from 'node:os';
import { agentPipeline } from '../agent/agent-pipeline.js';
import { type Clock, nextTurn, systemClock } from '../clock.js';
import type { AgentConfig } from '../config/agent-config.js';
import { resolveSettings } from '../config/build-agent.js';
import { UsageError } from '../errors/usage-error.js';
import { type CloudEvent, decodeCloudEvent } from '../events/cloud-event.js';
import { Stats } from '../model/stats.js';
import { type ProcessDefinition, ProcessRegistry } from '../processes/process.js';
import { RuleSet } from '../rules/rule-set.js';
import { InlineRunner } from '../runners/inline-runner.js';
import { openSource } from '../sources/open-source.js';
import type { Source } from '../sources/source.js';
import { Journal } from '../store/journal.js';
import type { StateStore } from '../store/state-store.js';
import {
  type DoneOutcome,
  MessageRejected,
  type ProcessingStrategy,
} from '../strategies/processing-strategy.js';
import { Telemetry } from '../telemetry/telemetry.js';
import type { Bytes, Message, Partition, Position } from '../types.js';
import { SinkPublishers, SinkUnavailable } from './sink-publishers.js';

export interface ReplayRangeOptions {
  readonly store: StateStore;
  readonly config: AgentConfig;
  /** Source URI (default: the config's source, else `local:`). */
  readonly source?: string;
  /** Publish results to this sink URI instead of the config's (`replay --sink`). */
  readonly sink?: string;
  readonly partition: Partition;
  /** First position re-processed (included). */
  readonly from: Position;
  /** Last position re-processed (included); default: up to where the partition ends now. */
  readonly to?: Position;
  /** Execute runs that already succeeded again (default: skip them, as a redelivery would). */
  readonly rerun?: boolean;
  /** Called after each fetch is processed. */
  readonly onProgress?: (progress: ReplayRangeProgress) => void;
  /** Stops reading; what was read is finished first. */
  readonly signal?: AbortSignal;
  readonly clock?: Clock;
  /** Messages per fetch (default 500). */
  readonly pollMax?: number;
}

export interface ReplayRangeProgress {
  readonly read: number;
  readonly position?: Position;
}

export interface ReplayRangeSummary {
  /** The source URI, credentials redacted. */
  readonly source: string;
  readonly partition: Partition;
  readonly from: Position;
  readonly to?: Position;
  /** The last position read, when anything was. */
  readonly last?: Position;
  readonly read: number;
  readonly processed: number;
  readonly unmatched: number;
  readonly parked: number;
  readonly runs: { readonly succeeded: number; readonly failed: number; readonly skipped: number };
  readonly delivered: number;
  readonly publishGiveUps: number;
  readonly rerun: boolean;
  /** `to` was passed, the partition was read to its current end, or the signal stopped it. */
  readonly stoppedBy: 'to' | 'caught-up' | 'signal';
  readonly durationMs: number;
}

const DEFAULT_POLL_MAX = 500;
/** Journal entries after which a range replay flushes without waiting for its end. */
const FLUSH_EVERY = 1_000;

/**
 * Re-processes positions `from`..`to` of one partition of a source that keeps history (the local log, a
 * file; Kinesis and stream queues where their adapters are present) through the standard pipeline:
 * decode → rules → processes (inline) → publish, with failures parked as usual (via `replay`). No
 * checkpoint or lease is read or written: the agent's own progress is untouched, and a running agent is
 * not disturbed. Runs that already succeeded are skipped unless `rerun`.
 * @throws UsageError when the source cannot be replayed (it does not keep history), the partition does
 *   not exist, or the positions are not positions of this source.
 */
export async function replayRange(options: ReplayRangeOptions): Promise<ReplayRangeSummary> {
  const { store, config, partition, from, to } = options;
  const clock = options.clock ?? systemClock;
  const startedAt = clock.now();
  const settings = resolveSettings(config);
  const uri = options.source ?? settings.source;
  const source = await openSource(uri, {
    store,
    group: config.name,
    clock,
    ...(config.consumer?.localPartitions ? { localPartitions: config.consumer.localPartitions } : {}),
    ...(config.adapters ? { settings: config.adapters } : {}),
  });
  const stats = new Stats();
  const journal = new Journal();
  const publishers = new SinkPublishers({
    store,
    config,
    journal,
    clock,
    stats,
    ...(options.sink === undefined ? {} : { sink: options.sink }),
  });
  const counts: Record<DoneOutcome, number> = { processed: 0, unmatched: 0, filtered: 0, parked: 0 };
  const controller = new AbortController();
  let read = 0;
  let last: Position | undefined;
  let stoppedBy: ReplayRangeSummary['stoppedBy'] = 'caught-up';
  try {
    await checkRange(source, options, controller.signal);
    const publisher = await publishers.agentSink();
    if (publisher instanceof SinkUnavailable) throw new UsageError(publisher.message);
    const runner = new InlineRunner({ clock, journal, stats });
    const strategy = agentPipeline({
      group: config.name,
      source: source.id,
      worker: `replay@${hostname()}#${process.pid}`,
      decoder: config.decode ?? decodeCloudEvent,
      rules: new RuleSet(config.rules ?? []),
      processes: new ProcessRegistry(
        (config.processes ?? []) as readonly ProcessDefinition<CloudEvent, never>[],
      ),
      runner,
      runs: store.runs,
      ...(options.rerun ? { rerun: true } : { efforts: store.efforts }),
      stats,
      clock,
      via: 'replay',
      ...(publisher === undefined ? {} : { publisher }),
    }).create({
      partitions: new Set([partition]),
      commit: (_message, outcome = 'processed') => {
        counts[outcome] += 1;
      },
      journal,
      clock,
      telemetry: new Telemetry(),
      signal: controller.signal,
    });
    await source.assign(new Map([[partition, { kind: 'at', position: from }]]));
    reading: for (;;) {
      if (options.signal?.aborted) {
        stoppedBy = 'signal';
        break;
      }
      const fetch = await source.poll(options.pollMax ?? DEFAULT_POLL_MAX, options.signal);
      for (const message of fetch.messages) {
        if (message.partition !== partition) continue;
        if (to !== undefined && source.compare(message.position, to) > 0) {
          stoppedBy = 'to';
          break reading;
        }
        await submit(strategy, message);
        read += 1;
        last = message.position;
      }
      const pending = strategy.poll();
      if (pending !== undefined) await pending;
      if (journal.size >= FLUSH_EVERY) await store.flush(journal.take());
      options.onProgress?.({ read, ...(last === undefined ? {} : { position: last }) });
      if (to !== undefined && last !== undefined && source.compare(last, to) >= 0) {
        stoppedBy = 'to';
        break;
      }
      if (fetch.caughtUp || fetch.ended.includes(partition)) break;
    }
    strategy.close();
    await strategy.join();
    await runner.close();
  } finally {
    controller.abort();
    await publishers.close();
    await store.flush(journal.take());
    await source.close();
  }
  return {
    source: source.uri,
    partition,
    from,
    ...(to === undefined ? {} : { to }),
    ...(last === undefined ? {} : { last }),
    read,
    processed: counts.processed,
    unmatched: counts.unmatched + counts.filtered,
    parked: counts.parked,
    runs: { succeeded: stats.runs.succeeded, failed: stats.runs.failed, skipped: stats.skippedRuns },
    delivered: stats.delivered,
    publishGiveUps: stats.publishGiveUps,
    rerun: options.rerun ?? false,
    stoppedBy,
    durationMs: clock.now() - startedAt,
  };
}

async function checkRange(source: Source, options: ReplayRangeOptions, signal: AbortSignal): Promise<void> {
  const { partition, from, to } = options;
  if (source.checkpointing === 'broker') {
    throw new UsageError(`${source.uri} does not keep history: a range of it cannot be replayed`, {
      hint: 'replay a local log, a file, a Kinesis stream or a stream queue; use replay --failed for parked items',
    });
  }
  for (const position of [from, ...(to === undefined ? [] : [to])]) {
    if (!isPosition(source, position)) {
      throw new UsageError(`"${position}" is not a position of ${source.uri}`);
    }
  }
  if (to !== undefined && source.compare(from, to) > 0) {
    throw new UsageError(`--to ${to} is before --from ${from}`);
  }
  await source.connect(signal);
  const known = (await source.partitions(signal)).map((p) => p.id);
  if (!known.includes(partition)) {
    throw new UsageError(`${source.uri} has no partition "${partition}"`, {
      hint: `its partitions are: ${known.join(', ') || '(none)'}`,
    });
  }
}

/** Whether the source can order `position`: a source compares only positions of its own form. */
function isPosition(source: Source, position: Position): boolean {
  try {
    return !Number.isNaN(source.compare(position, position));
  } catch {
    return false;
  }
}

/** Submits a message, waiting on the pipeline while it pushes back. */
async function submit(strategy: ProcessingStrategy<Bytes>, message: Message<Bytes>): Promise<void> {
  for (;;) {
    try {
      strategy.submit(message);
      return;
    } catch (error) {
      if (!(error instanceof MessageRejected)) throw error;
      const pending = strategy.poll();
      await (pending ?? nextTurn());
    }
  }
}
