import { failedFlags } from './failed-flags.js';
import { yesFlag } from './flags.js';
import { Flags } from './vendor/oclif.js';

/** Flags that only go with `replay --failed`, and those that only go with `replay --from`. */
export const FAILED_ONLY = [
  'id',
  'reason',
  'rule',
  'since',
  'where',
  'limit',
  'dry-run',
  'to-origin',
  'rate',
] as const;
export const RANGE_ONLY = ['partition', 'to', 'source', 'rerun'] as const;
/** Help groups of the two modes' flags. */
const FAILED = { helpGroup: 'REPLAY --failed' } as const;
const RANGE = { helpGroup: 'REPLAY --from' } as const;
/** The two forms of the command, for usage errors. */
export const REPLAY_MODES =
  'agentctl replay --failed [--id ID…] or agentctl replay --from POSITION --partition P [--to POSITION]';

/** The flags of `agentctl replay`: the common ones live on the base command. */
export const replayFlags = {
  failed: Flags.boolean({
    ...FAILED,
    summary: 'Replay pending items of the failed store.',
    env: 'AGENTCTL_FAILED',
  }),
  id: Flags.integer({
    ...FAILED,
    summary: 'Only this item (repeatable).',
    multiple: true,
    min: 1,
    env: 'AGENTCTL_ID',
  }),
  reason: failedFlags.reason('Only items of this reason.', FAILED),
  rule: failedFlags.rule(FAILED),
  since: Flags.string({
    ...FAILED,
    summary: 'Only items failed since: 30m, 2h, 7d, or an ISO time.',
    env: 'AGENTCTL_SINCE',
  }),
  where: failedFlags.where(FAILED),
  limit: Flags.integer({
    ...FAILED,
    summary: 'At most this many items, oldest first.',
    min: 1,
    env: 'AGENTCTL_LIMIT',
  }),
  'dry-run': Flags.boolean({
    ...FAILED,
    summary: 'Show what would be replayed; change nothing.',
    env: 'AGENTCTL_DRY_RUN',
  }),
  'to-origin': Flags.boolean({
    ...FAILED,
    summary:
      "Publish the parked events' original bytes back to the source they were read from (same partition key, queue with its headers, log partition), instead of running them.",
    env: 'AGENTCTL_TO_ORIGIN',
  }),
  rate: Flags.string({
    ...FAILED,
    summary: 'With --to-origin: at most N items per second (N/s or N).',
    env: 'AGENTCTL_RATE',
  }),
  from: Flags.string({
    ...RANGE,
    summary: 'Re-process from this position (included).',
    env: 'AGENTCTL_FROM',
  }),
  partition: Flags.string({
    ...RANGE,
    char: 'p',
    summary: 'The partition (shard) to re-process.',
    env: 'AGENTCTL_PARTITION',
  }),
  to: Flags.string({
    ...RANGE,
    summary: 'Last position to re-process (default: the end).',
    env: 'AGENTCTL_TO',
  }),
  source: Flags.string({
    ...RANGE,
    char: 's',
    summary:
      "Source URI to re-process, or with --to-origin to redrive to (default: the config's): local:[TOPIC], file:PATH, kinesis://STREAM?…",
    env: 'AGENTCTL_SOURCE',
  }),
  rerun: Flags.boolean({
    ...RANGE,
    summary: 'Execute runs that already succeeded again.',
    env: 'AGENTCTL_RERUN',
  }),
  sink: Flags.string({
    summary:
      "Deliver to this sink URI instead of the one each item was parked for (and publish results there instead of to the config's publisher.sink).",
    env: 'AGENTCTL_SINK',
  }),
  yes: yesFlag,
};
