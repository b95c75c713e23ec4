import { type Clock, systemClock } from '../../clock.js';
import { UsageError } from '../../errors/usage-error.js';
import type { StateStore } from '../../store/state-store.js';
import type { Partition } from '../../types.js';
import { type LiveOwner, liveOwners } from '../partition-owners.js';
import type { CheckpointPlan } from './checkpoint-plan.js';

/** Who is recorded as the writer of checkpoints set by an operator. */
export const OPERATOR = 'operator';

export interface ExecuteMovesOptions {
  /** The source URI, credentials redacted, for errors. */
  readonly uri: string;
  /** Move even partitions a running agent owns (it may overwrite the checkpoint at its next commit). */
  readonly force?: boolean;
  /** Who (see `operatorActor`), which command, and why, for the history. */
  readonly actor: string;
  readonly command: string;
  readonly reason?: string;
  readonly clock?: Clock;
}

/**
 * Applies a plan: every move whose checkpoint changes is written and recorded in the checkpoint history,
 * in one transaction.
 * @throws UsageError while a running agent owns one of the partitions moved (unless `force`); nothing is
 *   changed then.
 */
export async function executeCheckpointPlan(
  store: StateStore,
  plan: CheckpointPlan,
  options: ExecuteMovesOptions,
): Promise<CheckpointPlan> {
  const moving = plan.changes.filter((c) => c.before !== c.after);
  const forced = await guard(
    store,
    plan,
    options,
    moving.map((c) => c.partition),
  );
  const history = await store.checkpoints.move(
    moving.map((c) => ({
      group: plan.group,
      source: plan.source,
      partition: c.partition,
      ...(c.before === undefined ? {} : { before: c.before }),
      ...(c.after === undefined ? {} : { after: c.after }),
      actor: options.actor,
      command: options.command,
      ...(options.reason === undefined ? {} : { reason: options.reason }),
    })),
    OPERATOR,
  );
  return { ...plan, executed: true, forced, history };
}

/** Refuses to touch partitions a running agent owns, unless forced; returns the owners overridden. */
async function guard(
  store: StateStore,
  plan: CheckpointPlan,
  options: ExecuteMovesOptions,
  partitions: readonly Partition[],
): Promise<LiveOwner[]> {
  const now = (options.clock ?? systemClock).now();
  const owners = await liveOwners(store, plan.group, plan.source, { now });
  const held = partitions.flatMap((p) => owners.get(p) ?? []);
  if (held.length === 0 || options.force === true) return held;
  const agents = [...new Set(held.map((o) => o.agent))];
  const which =
    held.length === 1
      ? `partition ${held[0]!.partition} is`
      : `partitions ${held.map((o) => o.partition).join(', ')} are`;
  throw new UsageError(
    `${which} owned by the running agent${agents.length > 1 ? 's' : ''} ${agents.join(', ')} (group ${plan.group}, ${options.uri}); nothing was changed`,
    {
      hint: `drain it first (agentctl drain --agent ${agents[0]}), then run this again; or pass --force, and the agent may overwrite the checkpoint at its next commit`,
    },
  );
}
