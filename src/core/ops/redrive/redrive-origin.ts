import { type Clock, systemClock } from '../../clock.js';
import type { AgentConfig } from '../../config/agent-config.js';
import { describeError, isAgentctlError } from '../../errors/agentctl-error.js';
import type { Where } from '../../filter/where.js';
import { redactSecrets } from '../../redact.js';
import type { FailedFilter, FailedMessage } from '../../store/records.js';
import type { StateStore } from '../../store/state-store.js';
import { openOpsSource, opsTarget } from '../operator-source.js';
import { countReplayable, narrowedByWhere, replaySelection } from '../replay-failed.js';
import { openOriginTarget, REDRIVE_HEADER } from './origin-target.js';

export interface RedriveOptions {
  readonly store: StateStore;
  /** The agent whose items are selected, and whose source (unless `source`) is the origin. */
  readonly config: AgentConfig;
  /** The origin's URI when it is not the config's source (`--source`). */
  readonly source?: string;
  readonly filter?: FailedFilter;
  readonly where?: Where<FailedMessage>;
  /** Say where each item would go; change nothing, connect nowhere. */
  readonly dryRun?: boolean;
  /** At most this many items per second. */
  readonly rate?: number;
  readonly signal?: AbortSignal;
  readonly clock?: Clock;
  readonly onProgress?: (progress: RedriveProgress) => void;
}

export interface RedriveProgress {
  readonly done: number;
  readonly total: number;
  readonly redriven: number;
  readonly failed: number;
}

export interface RedriveItemOutcome {
  readonly id: number;
  readonly eventId?: string;
  /** `redriven` (confirmed, now `replayed`), `failed` (still pending), `skipped` (a record), `planned` (dry run). */
  readonly outcome: 'redriven' | 'failed' | 'skipped' | 'planned';
  /** Where it went (or would go), without credentials. */
  readonly to?: string;
  readonly error?: string;
  /** The origin could not be reached (rather than this item being refused). */
  readonly unreachable?: boolean;
}

export interface RedriveSummary {
  readonly dryRun: boolean;
  readonly origin: string;
  readonly selected: number;
  readonly redriven: number;
  readonly failed: number;
  readonly skipped: number;
  readonly interrupted: boolean;
  readonly durationMs: number;
  readonly items: readonly RedriveItemOutcome[];
}

/**
 * Publishes the original bytes of parked events back to the source they were read from (`replay
 * --failed --to-origin`), one item at a time: publish, wait for the origin's confirm, then mark the item
 * `replayed` with a history entry saying where it went, in one durable write, before the next item.
 *
 * Guarantee: an item marked `replayed` was confirmed by its origin; an item not confirmed stays pending
 * and is taken by the next run. A crash (SIGKILL) between a confirm and its mark leaves that one item
 * pending although delivered: the next run sends it again, so at most the one item in flight at the
 * crash is duplicated at the origin; no confirmed-and-marked item is ever sent twice, none is lost.
 *
 * Items read from another source than the origin, items the origin refuses (a Kinesis item without its
 * partition key) and items of an origin that cannot be reached fail and stay pending. Once an origin
 * failed for a reason that may pass (unreachable, timeout), the rest are not tried (also pending).
 * Parked records (reason `publish`) are not events of the source: they are skipped.
 */
export async function redriveToOrigin(options: RedriveOptions): Promise<RedriveSummary> {
  const { store, config } = options;
  const clock = options.clock ?? systemClock;
  const startedAt = clock.now();
  const ops = opsTarget(config, options.source === undefined ? {} : { source: options.source });
  const probe = await openOpsSource(store, ops);
  const sourceId = probe.id;
  await probe.close();
  const target = await openOriginTarget({
    uri: ops.uri,
    store,
    ...(ops.settings === undefined ? {} : { settings: ops.settings }),
  });
  let filter: FailedFilter | undefined = options.filter ?? {};
  if (options.where !== undefined) filter = await narrowedByWhere(store, config, filter, options.where);
  const total = filter === undefined ? 0 : await countReplayable(store, config, filter);
  const items: RedriveItemOutcome[] = [];
  const counts = { redriven: 0, failed: 0 };
  let down: RedriveItemOutcome | undefined;
  let interrupted = false;
  let sent = 0;
  try {
    for await (const item of filter === undefined
      ? []
      : store.failed.iterate(replaySelection(config, filter))) {
      if (options.signal?.aborted) {
        interrupted = true;
        break;
      }
      const outcome = await redriveOne(item);
      items.push(outcome);
      if (outcome.outcome === 'redriven') counts.redriven++;
      if (outcome.outcome === 'failed') counts.failed++;
      options.onProgress?.({ done: items.length, total, ...counts });
    }
  } finally {
    await target.close();
  }
  return {
    dryRun: options.dryRun ?? false,
    origin: target.name,
    selected: items.length,
    ...counts,
    skipped: items.filter((i) => i.outcome === 'skipped').length,
    interrupted,
    durationMs: clock.now() - startedAt,
    items,
  };

  async function redriveOne(item: FailedMessage): Promise<RedriveItemOutcome> {
    const id = { id: item.id, ...(item.eventId === undefined ? {} : { eventId: item.eventId }) };
    if (item.kind === 'record') {
      return {
        ...id,
        outcome: 'skipped',
        error: 'a result record, not an event of the source (replay --failed re-publishes it)',
      };
    }
    const to = target.where(item);
    const refusal =
      item.source === sourceId
        ? target.refusal(item)
        : `read from ${redactSecrets(item.source)}, not from ${target.name} (give --source with its URI)`;
    if (refusal !== undefined) return { ...id, outcome: 'failed', to, error: `cannot redrive: ${refusal}` };
    if (options.dryRun) return { ...id, outcome: 'planned', to };
    if (down !== undefined) return { ...id, outcome: 'failed', to, error: down.error!, unreachable: true };
    await pace();
    const redrive = redriveCount(item);
    try {
      await target.send(item, redrive);
    } catch (error) {
      const text = redactSecrets(describeError(error));
      await store.failed.recordFailure(item.id, { at: clock.now(), error: text, via: 'redrive' });
      const passing = !isAgentctlError(error) || error.retriable;
      const failed: RedriveItemOutcome = {
        ...id,
        outcome: 'failed',
        to,
        error: `${target.name}: ${text}`,
        ...(passing ? { unreachable: true } : {}),
      };
      if (passing) down = failed;
      return failed;
    }
    const marked = await store.failed.markRedriven(item.id, {
      at: clock.now(),
      error: '',
      via: 'redrive',
      to: `${to} (redrive ${redrive})`,
    });
    return marked
      ? { ...id, outcome: 'redriven', to }
      : { ...id, outcome: 'failed', to, error: 'delivered, but the item was no longer pending' };
  }

  /** Waits for the next slot of `rate` items per second (none without a rate). */
  async function pace(): Promise<void> {
    const rate = options.rate;
    sent++;
    if (rate === undefined) return;
    const due = startedAt + ((sent - 1) * 1000) / rate;
    const wait = due - clock.now();
    if (wait > 0) await clock.sleep(wait, options.signal).catch(() => undefined);
  }
}

/** This redrive's number: one more than the item's earlier ones (its headers' count or its history's). */
export function redriveCount(item: FailedMessage): number {
  const header = Number(item.headers?.[REDRIVE_HEADER] ?? 0) || 0;
  const history = item.history.filter((h) => h.via === 'redrive' && h.to !== undefined).length;
  return Math.max(header, history) + 1;
}
