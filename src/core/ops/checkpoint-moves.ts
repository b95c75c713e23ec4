import type { Clock } from '../clock.js';
import type { Source } from '../sources/source.js';
import type { StateStore } from '../store/state-store.js';
import type { Partition } from '../types.js';
import type { CheckpointPlan } from './checkpoint-plan/checkpoint-plan.js';
import { type ExecuteMovesOptions, executeCheckpointPlan } from './checkpoint-plan/execute-moves.js';
import type { MoveTarget } from './checkpoint-plan/move-target.js';
import { openLocator } from './checkpoint-plan/open-locator.js';
import { planCheckpointMoves } from './checkpoint-plan/plan-moves.js';
import type { SourceForOps } from './operator-source.js';

/**
 * Checkpoints an operator moves (`checkpoint set`, `checkpoint reset`, the console's checkpoint actions):
 * a plan first — per partition before → after, records read again or skipped, its running owner — found
 * through the source (see `PositionLocator`); applied only when `execute` is given, refused on partitions
 * a running agent owns unless forced, written with `operator` as its writer and recorded in the
 * checkpoint history (who, when, before, after, why, which command).
 */

export type { CheckpointPlan, PlannedMove } from './checkpoint-plan/checkpoint-plan.js';
export { OPERATOR } from './checkpoint-plan/execute-moves.js';
export type { MoveTarget } from './checkpoint-plan/move-target.js';

/** What `checkpoint set` / `checkpoint reset` planned or changed. */
export type CheckpointChangeResult = CheckpointPlan;

export interface MoveCheckpointsOptions {
  readonly target: MoveTarget;
  /** Default: every partition the source knows or that has a checkpoint. */
  readonly partitions?: readonly Partition[];
  /** Apply the plan (see `executeCheckpointPlan`); without it nothing is changed. */
  readonly execute?: Omit<ExecuteMovesOptions, 'uri' | 'clock'>;
  /** Called with the plan before it is applied (a confirmation); throwing stops it, nothing changed. */
  readonly beforeExecute?: (plan: CheckpointPlan) => Promise<void>;
  readonly clock?: Clock;
  readonly signal?: AbortSignal;
}

/**
 * Plans a move of the checkpoints of `ops.group` on `source` (connected), and applies it when asked.
 * @throws as `planCheckpointMoves` and `executeCheckpointPlan`.
 */
export async function moveCheckpoints(
  store: StateStore,
  source: Source,
  ops: SourceForOps,
  options: MoveCheckpointsOptions,
): Promise<CheckpointPlan> {
  const { clock, signal } = options;
  const locator = await openLocator(store, ops);
  try {
    const plan = await planCheckpointMoves(store, {
      group: ops.group,
      source,
      locator,
      target: options.target,
      ...(options.partitions === undefined ? {} : { partitions: options.partitions }),
      ...(clock === undefined ? {} : { clock }),
      ...(signal === undefined ? {} : { signal }),
    });
    if (options.execute === undefined) return plan;
    await options.beforeExecute?.(plan);
    return await executeCheckpointPlan(store, plan, {
      ...options.execute,
      uri: source.uri,
      ...(clock === undefined ? {} : { clock }),
    });
  } finally {
    await locator.close();
  }
}
