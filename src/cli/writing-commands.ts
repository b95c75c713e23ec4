import { UsageError } from '../core/errors/usage-error.js';
import type { ActiveContext } from './settings.js';

/**
 * The commands that change something — a checkpoint, the failed store, a source, a sink, a running agent
 * — and what each changes: a read-only context refuses them all before they do anything. Every other
 * command only looks (test/cli/writing-commands.test.ts holds each command to one list or the other).
 * `tui` is not here: in a read-only context it runs, with its actions refused (as with `--readonly`).
 * `init` only writes a new project's files in the working directory, nothing the context names.
 */
export const WRITING_COMMANDS: Readonly<Record<string, string>> = {
  consume: 'consumes events, runs processes and moves checkpoints',
  replay: 'runs events again and publishes (with --to-origin, writes to the source)',
  publish: 'publishes events',
  'failed:discard': 'discards failed items',
  'failed:edit': 'edits failed items',
  'store:migrate': 'migrates the state store',
  'store:prune': 'deletes from the state store',
  'store:copy': 'writes a state store',
  drain: 'drains a running agent',
  worker: 'runs processes and publishes results',
};

/**
 * Commands that only look, unless given a flag that changes something: the flag and what it changes.
 * `checkpoint set|reset` only print a plan without `--execute`: a read-only context may plan.
 */
export const WRITING_FLAGS: Readonly<Record<string, { readonly flag: string; readonly what: string }>> = {
  peek: { flag: 'requeue', what: 'takes messages from a queue and gives them back, marked redelivered' },
  'checkpoint:set': { flag: 'execute', what: 'moves checkpoints' },
  'checkpoint:reset': { flag: 'execute', what: 'moves checkpoints' },
};

/** What `id` run with `flags` changes, or undefined when it only looks. */
export function writesWhat(id: string, flags: Readonly<Record<string, unknown>> = {}): string | undefined {
  const byFlag = WRITING_FLAGS[id];
  if (byFlag !== undefined && flags[byFlag.flag] === true) return `--${byFlag.flag} ${byFlag.what}`;
  return WRITING_COMMANDS[id];
}

/**
 * @throws UsageError (exit 2) naming the context when `id` (with `flags`) writes and the context is
 *   read-only.
 */
export function refuseWritesIn(
  active: ActiveContext | undefined,
  id: string | undefined,
  flags: Readonly<Record<string, unknown>> = {},
): void {
  if (active?.context.readonly !== true || id === undefined) return;
  const what = writesWhat(id, flags);
  if (what === undefined) return;
  const command = `agentctl ${id.replace(/:/g, ' ')}`;
  const how =
    active.chosenBy === 'current'
      ? 'switch with agentctl context use NAME, or name another with --context NAME'
      : `name another context with --context NAME (it was chosen by ${active.chosenBy === 'flag' ? '--context' : 'AGENTCTL_CONTEXT'})`;
  throw new UsageError(
    `context "${active.name}" is read-only: ${command} ${what}; refused, nothing was done`,
    {
      hint: how,
    },
  );
}
