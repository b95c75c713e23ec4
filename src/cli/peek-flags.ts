import type { PeekRequest } from '../core/ops/peek/peek-request.js';
import { agentFlag, sourceFlag } from './flags.js';
import { Flags } from './vendor/oclif.js';

/** The flags of `agentctl peek`. */
export const peekFlags = {
  source: sourceFlag,
  agent: agentFlag,
  limit: Flags.integer({
    char: 'n',
    summary: 'At most N records (default 10; no limit with --follow or --to; 0: no limit).',
    min: 0,
    env: 'AGENTCTL_LIMIT',
  }),
  from: Flags.string({
    summary: 'Where to start: earliest (default), latest, checkpoint, a position, a time or -DURATION (-1h).',
    env: 'AGENTCTL_FROM',
  }),
  to: Flags.string({
    summary: 'Where to stop (included): a position, a time or -DURATION.',
    env: 'AGENTCTL_TO',
  }),
  'around-checkpoint': Flags.boolean({
    summary: "The records around each partition's checkpoint: ✓ done, ▶ the first not done.",
    env: 'AGENTCTL_AROUND_CHECKPOINT',
    exclusive: ['from', 'to', 'follow'],
  }),
  before: Flags.integer({
    char: 'B',
    summary: 'With --around-checkpoint: records at and before the checkpoint (default 3).',
    min: 0,
    env: 'AGENTCTL_BEFORE',
    dependsOn: ['around-checkpoint'],
  }),
  after: Flags.integer({
    char: 'A',
    summary: 'With --around-checkpoint: records after it (default 5).',
    min: 0,
    env: 'AGENTCTL_AFTER',
    dependsOn: ['around-checkpoint'],
  }),
  partition: Flags.string({
    char: 'p',
    summary: 'Only this partition (shard, log partition); repeat for more.',
    multiple: true,
    env: 'AGENTCTL_PARTITION',
  }),
  key: Flags.string({ summary: 'Only records with this partition (or routing) key.', env: 'AGENTCTL_KEY' }),
  where: Flags.string({
    summary: 'Only records for which this CEL expression is true.',
    description:
      'Variables: event (the decoded CloudEvent: event.type, event.data.*; null when the record does not decode), payload (the bytes as text), meta (source, partition, position, timestamp, key, attributes). Example: --where \'event.type == "order.placed" && event.data.total > 100\'.',
    env: 'AGENTCTL_WHERE',
  }),
  follow: Flags.boolean({
    char: 'f',
    summary: 'Keep waiting for new records at the end (like tail -f); Ctrl-C ends.',
    env: 'AGENTCTL_FOLLOW',
    exclusive: ['exit'],
  }),
  exit: Flags.boolean({
    char: 'e',
    summary: 'End at the end of the data (the default without --follow).',
    env: 'AGENTCTL_EXIT',
  }),
  raw: Flags.boolean({
    summary: 'Print the bytes of each record as stored, one per line.',
    env: 'AGENTCTL_RAW',
    exclusive: ['json'],
  }),
  requeue: Flags.boolean({
    summary:
      'Classic/quorum queues: take up to -n messages and give them all back (nack with requeue; they come back marked redelivered).',
    env: 'AGENTCTL_REQUEUE',
  }),
};

/** The flags `peekRequest` reads. */
export interface PeekFlagValues {
  readonly limit?: number | undefined;
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  readonly 'around-checkpoint'?: boolean | undefined;
  readonly before?: number | undefined;
  readonly after?: number | undefined;
  readonly partition?: string[] | undefined;
  readonly key?: string | undefined;
  readonly follow?: boolean | undefined;
}

/** The request the flags ask for. @throws UsageError for a bad --from or --to. */
export async function peekRequest(flags: PeekFlagValues, now: number): Promise<PeekRequest> {
  const { parsePeekStart, parsePeekEnd } = await import('../core/ops/peek/peek-request.js');
  const unbounded = flags.follow === true || flags.to !== undefined;
  const limit = flags.limit ?? (unbounded ? 0 : 10);
  return {
    start: parsePeekStart(flags.from ?? 'earliest', now),
    ...(flags.to === undefined ? {} : { end: parsePeekEnd(flags.to, now) }),
    ...(flags.partition === undefined ? {} : { partitions: flags.partition }),
    ...(flags.key === undefined ? {} : { key: flags.key }),
    ...(limit === 0 ? {} : { limit }),
    follow: flags.follow === true,
    ...(flags['around-checkpoint'] ? { around: { before: flags.before ?? 3, after: flags.after ?? 5 } } : {}),
  };
}
