import { Flags } from '@oclif/core';
import type { FailedFilter, FailedStatus } from '../core/store/records.js';
import { FAILURE_REASONS, type FailureReason } from '../core/types.js';

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
      summary: 'Only items whose error, event type, event id or payload contains this text (any case).',
      env: 'AGENTCTL_SEARCH',
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
