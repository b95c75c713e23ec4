import type { CheckpointPlan, MoveTarget } from '../core/ops/checkpoint-moves.js';
import { BaseCommand } from './base-command.js';
import { agentFlag, sourceFlag, yesFlag } from './flags.js';
import { Flags } from './vendor/oclif.js';

/** The flags `checkpoint set` and `checkpoint reset` share: which partitions, and the plan/execute form. */
export const checkpointMoveFlags = {
  source: sourceFlag,
  agent: agentFlag,
  partition: Flags.string({
    char: 'p',
    summary: 'A partition to move (repeatable; default: every partition of the source).',
    multiple: true,
    env: 'AGENTCTL_PARTITION',
  }),
  execute: Flags.boolean({
    summary: 'Apply the plan (asks first on a terminal, unless --yes); without it nothing is changed.',
    env: 'AGENTCTL_EXECUTE',
  }),
  reason: Flags.string({
    summary: 'Why, for the checkpoint history (with --execute).',
    env: 'AGENTCTL_REASON',
  }),
  force: Flags.boolean({
    summary:
      'Move even partitions a running agent owns (it may overwrite the checkpoint at its next commit).',
    env: 'AGENTCTL_FORCE',
  }),
  yes: yesFlag,
};

interface MoveFlags {
  readonly source?: string | undefined;
  readonly agent?: string | undefined;
  readonly partition?: string[] | undefined;
  readonly execute: boolean;
  readonly reason?: string | undefined;
  readonly force: boolean;
  readonly yes: boolean;
  readonly db?: string | undefined;
  readonly config?: string | undefined;
}

/**
 * `checkpoint set` and `checkpoint reset`: prints the plan, and with `--execute` asks (unless `--yes`),
 * applies it and records it in the checkpoint history.
 */
export abstract class CheckpointMoveCommand extends BaseCommand {
  static override enableJsonFlag = true;

  protected async move(flags: MoveFlags, target: (now: number) => MoveTarget): Promise<CheckpointPlan> {
    // Bad input is refused before anything is opened.
    const to = target(Date.now());
    const { store, config } = await this.openStore(flags, { mustExist: true });
    const { moveCheckpoints } = await import('../core/ops/checkpoint-moves.js');
    const { opsTarget, withSource } = await import('../core/ops/operator-source.js');
    const { operatorActor } = await import('../core/ops/checkpoint-plan/actor.js');
    const { describeTarget } = await import('../core/ops/checkpoint-plan/move-target.js');
    const { renderCheckpointPlan } = await import('../ui/text/checkpoint-plan.js');
    const ops = opsTarget(config, { source: flags.source, group: flags.agent });
    const partitions = flags.partition?.map((p) => ` --partition ${p}`).join('') ?? '';
    const plan = await withSource(store, ops, (source) =>
      moveCheckpoints(store, source, ops, {
        target: to,
        ...(flags.partition === undefined ? {} : { partitions: flags.partition }),
        ...(flags.execute
          ? {
              execute: {
                actor: operatorActor(),
                command: `${this.id?.replace(':', ' ')} ${describeTarget(to)}${partitions}`,
                force: flags.force,
                ...(flags.reason === undefined ? {} : { reason: flags.reason }),
              },
              beforeExecute: async (planned) => {
                if (!this.jsonEnabled() && !flags.yes) this.log(renderCheckpointPlan(planned));
                const moving = planned.changes.filter((c) => c.before !== c.after).length;
                await this.confirm(
                  `Move ${moving} checkpoint${moving === 1 ? '' : 's'} of ${ops.group} on ${source.uri} (${describeTarget(to)})?`,
                  flags.yes,
                );
              },
            }
          : {}),
      }),
    );
    if (!this.jsonEnabled()) this.log(renderCheckpointPlan(plan));
    return plan;
  }
}
