import { type Clock, systemClock } from '../../clock.js';
import { NotFoundError } from '../../errors/not-found-error.js';
import { UsageError } from '../../errors/usage-error.js';
import { isPositionOf, type Source } from '../../sources/source.js';
import type { StateStore } from '../../store/state-store.js';
import type { Partition } from '../../types.js';
import { byPartition } from '../checkpoint-list.js';
import { liveOwners } from '../partition-owners.js';
import type { CheckpointPlan, MoveDirection, PlannedMove } from './checkpoint-plan.js';
import { describeTarget, type MoveTarget } from './move-target.js';
import type { Located, PositionLocator } from './position-locator.js';

export interface PlanMovesOptions {
  readonly group: string;
  readonly source: Source;
  readonly locator: PositionLocator;
  readonly target: MoveTarget;
  /** Default: every partition the source knows or that has a checkpoint. */
  readonly partitions?: readonly Partition[];
  readonly clock?: Clock;
  readonly signal?: AbortSignal;
}

/**
 * Plans a checkpoint move per partition — before → after, records read again or skipped, the running
 * agent that owns it — and changes nothing.
 * @throws UsageError for a source whose broker keeps the position, a position without exactly one
 *   partition, a position the source cannot order or beyond its latest.
 * @throws NotFoundError for a partition the source does not know and that has no checkpoint.
 */
export async function planCheckpointMoves(
  store: StateStore,
  options: PlanMovesOptions,
): Promise<CheckpointPlan> {
  const { group, source, locator, target, signal } = options;
  if (source.checkpointing === 'broker') {
    throw new UsageError(`${source.uri} has no checkpoint to move: the broker keeps its position`, {
      hint: 'acked messages are gone from a classic or quorum queue; a stream queue (&type=stream) has checkpoints',
    });
  }
  const stored = await store.checkpoints.get(group, source.id);
  const listed = (await source.partitions(signal)).map((p) => p.id);
  const known = new Set([...listed, ...stored.keys()]);
  const partitions = [...new Set(options.partitions ?? known)].sort(byPartition);
  const unknown = partitions.filter(
    (p) => !known.has(p) || (target.kind === 'position' && !listed.includes(p)),
  );
  if (unknown.length > 0) {
    throw new NotFoundError(`${source.uri} has no partition ${unknown.map((p) => `"${p}"`).join(', ')}`, {
      hint:
        known.size === 0
          ? 'the source has no partitions yet'
          : `its partitions are ${[...known].sort(byPartition).join(', ')}`,
    });
  }
  const latest = new Map((await source.describe(signal)).map((s) => [s.partition, s.latest]));
  if (target.kind === 'position') checkPosition(source, partitions, target.position, latest);
  const owners = await liveOwners(store, group, source.id, { now: (options.clock ?? systemClock).now() });
  const changes: PlannedMove[] = [];
  for (const partition of partitions) {
    const before = stored.get(partition)?.position;
    const spotLatest = latest.get(partition);
    const spot = {
      partition,
      ...(before === undefined ? {} : { before }),
      ...(spotLatest === undefined ? {} : { latest: spotLatest }),
    };
    const located = await locator.locate(spot, target, signal);
    const owner = owners.get(partition)?.agent;
    changes.push({
      partition,
      ...(before === undefined ? {} : { before }),
      ...(located.after === undefined ? {} : { after: located.after }),
      direction: directionOf(locator, before, located),
      ...(located.events === undefined ? {} : { events: located.events }),
      ...(located.note === undefined ? {} : { note: located.note }),
      ...(owner === undefined ? {} : { owner }),
    });
  }
  return { group, source: source.id, target: describeTarget(target), changes, executed: false, forced: [] };
}

function directionOf(locator: PositionLocator, before: string | undefined, located: Located): MoveDirection {
  const { after, events } = located;
  if (before === after || events === 0) return 'none';
  if (before === undefined) return 'forward';
  if (after === undefined) return 'back';
  const order = locator.compare(after, before);
  return order === 0 ? 'none' : order < 0 ? 'back' : 'forward';
}

/** A position names one partition's record, orderable by the source and not beyond its latest. */
function checkPosition(
  source: Source,
  partitions: readonly Partition[],
  position: string,
  latest: ReadonlyMap<Partition, string | undefined>,
): void {
  if (partitions.length !== 1) {
    throw new UsageError(`--to ${position} names a position of one partition: give exactly one --partition`, {
      hint: 'for every partition at once, use --to-time, --shift-by, --to earliest or --to latest',
    });
  }
  const partition = partitions[0]!;
  if (!isPositionOf(source, position)) {
    throw new UsageError(`"${position}" is not a position of ${source.uri}`, {
      hint: 'use a position as `checkpoint list` shows them (a log offset, a sequence number, …)',
    });
  }
  const last = latest.get(partition);
  if (last !== undefined && source.compare(position, last) > 0) {
    throw new UsageError(
      `position ${position} is beyond the latest position ${last} of partition ${partition}`,
      {
        hint: `use a position up to ${last}, or --to latest`,
      },
    );
  }
}
