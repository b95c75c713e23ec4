import type { FailedFilter, FailedStatus } from '../core/store/records.js';
import { FAILURE_REASONS, type FailureReason } from '../core/types.js';
import { Flags } from './vendor/oclif.js';

type FlagExtras = { readonly helpGroup?: string };

/**
 * The flags that pick failed-store items, defined once for `failed list|export|discard` and
 * `replay --failed` (same names, same values, same environment variables everywhere).
 */
export const failedFlags = {
  reason: (summary = 'Only items parked for this reason.', extras: FlagExtras = {}) =>
    Flags.string({ ...extras, summary, options: [...FAILURE_REASONS], env: 'AGENTCTL_REASON' }),
  rule: (extras: FlagExtras = {}) =>
    Flags.string({ ...extras, summary: 'Only items of this rule.', env: 'AGENTCTL_RULE' }),
  search: () =>
    Flags.string({
      summary: 'Only items whose error, event type, event id or payload holds this text (any case).',
      description:
        'From an index. SQLite: the words of TEXT in order and next to each other, accents ignored; a * at the end makes the last word a prefix (--search "ord-4a*"); nothing else is syntax (- : " AND NEAR are text). PostgreSQL: a substring. A TEXT without a letter or digit reads every item.',
      env: 'AGENTCTL_SEARCH',
    }),
  where: (extras: FlagExtras = {}) =>
    Flags.string({
      ...extras,
      summary: 'Only items for which this CEL expression is true.',
      description:
        'Variables: event (the parked event or record, parsed), payload, meta (source, partition, position, timestamp, attributes), id, status, reason, kind, group, rule, process, step, runId, eventId, eventType, sink, error, errorName, attempts, firstFailedAt, lastFailedAt. Example: --where \'reason == "process" && event.data.region == "eu"\'. Use has(event.data.x) before reading a key some items lack: an item the expression fails on does not match (the command says how many).',
      env: 'AGENTCTL_WHERE',
    }),
  status: () =>
    Flags.string({
      summary: 'Only items in this status.',
      options: ['pending', 'replayed', 'discarded', 'any'],
      default: 'pending',
      env: 'AGENTCTL_STATUS',
    }),
};

/** The failed-store filter that the item-picking flags given ask for. */
export function failedFilterOf(flags: {
  readonly reason?: string | undefined;
  readonly rule?: string | undefined;
  readonly search?: string | undefined;
  readonly status?: string | undefined;
}): FailedFilter {
  return {
    ...(flags.status ? { status: flags.status as FailedStatus | 'any' } : {}),
    ...(flags.reason ? { reason: flags.reason as FailureReason } : {}),
    ...(flags.rule ? { rule: flags.rule } : {}),
    ...(flags.search ? { search: flags.search } : {}),
  };
}

/**
 * The compiled `--where` of the item-picking flags, or undefined without one.
 * @throws UsageError (exit 2) at once for an expression that does not compile, naming where.
 */
export async function failedWhereOf(flags: { readonly where?: string | undefined }) {
  if (flags.where === undefined) return undefined;
  const { Where } = await import('../core/filter/where.js');
  const { failedWhere } = await import('../core/filter/failed-where.js');
  return Where.compile(flags.where, failedWhere);
}
