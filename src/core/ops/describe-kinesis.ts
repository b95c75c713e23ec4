import {
  DescribeStreamSummaryCommand,
  type KinesisClient,
  ListStreamConsumersCommand,
  type ListStreamConsumersCommandOutput,
  type Shard,
  type StreamDescriptionSummary,
} from '@aws-sdk/client-kinesis';
import { describeError } from '../errors/agentctl-error.js';
import { errorName } from '../sources/kinesis/kinesis-errors.js';
import { streamUnavailable } from '../sources/kinesis/kinesis-source-errors.js';
import { listShards } from '../sources/kinesis/stream-calls.js';
import { hashKeyOf, inHashRange } from '../transports/kinesis/hash-key.js';

/** One shard as `describe` shows it: its place in the stream's history and its ranges. */
export interface ShardView {
  readonly shard: string;
  /** Closed shards have an ending sequence number: they were split or merged and take no new records. */
  readonly state: 'open' | 'closed';
  readonly parent?: string;
  /** The other parent of a shard made by a merge. */
  readonly adjacentParent?: string;
  /** Shards made from this one by a split or a merge (computed from the children's parents). */
  readonly children: readonly string[];
  /** Inclusive hash key range, as decimal strings. */
  readonly hashKeys: { readonly start: string; readonly end: string };
  readonly sequences: { readonly start: string; readonly end?: string };
}

/** An enhanced fan-out consumer registered on the stream. */
export interface StreamConsumerView {
  readonly name: string;
  readonly status: string;
  readonly createdAt?: number;
}

/** Where a partition key's records go: the open shard now, and the closed shards that held it before. */
export interface KeyPlacement {
  readonly key: string;
  /** MD5 of the key as a 128-bit integer, in decimal. */
  readonly hashKey: string;
  /** The open shard a record with this key goes to now. */
  readonly shard?: string;
  /** Closed shards whose range holds the key: older records with it are there (oldest first). */
  readonly before: readonly string[];
}

export interface KinesisDescription {
  readonly kind: 'kinesis';
  readonly stream: string;
  readonly arn?: string;
  /** CREATING, ACTIVE, UPDATING or DELETING. */
  readonly status?: string;
  readonly retentionHours?: number;
  /** PROVISIONED or ON_DEMAND. */
  readonly mode?: string;
  readonly encryption?: string;
  readonly openShards: number;
  readonly closedShards: number;
  readonly shards: readonly ShardView[];
  /** The stream's EFO consumers, or why they could not be listed (the endpoint may not know the call). */
  readonly consumers:
    | { readonly listed: true; readonly items: readonly StreamConsumerView[] }
    | { readonly listed: false; readonly reason: string };
  readonly key?: KeyPlacement;
}

/**
 * Describes a Kinesis stream with read-only calls: `DescribeStreamSummary`, `ListShards` (every shard
 * still within the retention period, closed ones included) and `ListStreamConsumers`. A failing
 * `ListStreamConsumers` (an emulator without it, a role without the permission) is reported in
 * `consumers`, not thrown. @throws SourceUnavailableError when the stream cannot be read.
 */
export async function describeKinesisStream(
  client: KinesisClient,
  stream: string,
  display: string,
  options: { readonly key?: string; readonly signal?: AbortSignal } = {},
): Promise<KinesisDescription> {
  const signal = options.signal ?? new AbortController().signal;
  let shards: Shard[];
  let summary: StreamDescriptionSummary | undefined;
  try {
    summary = (
      await client.send(new DescribeStreamSummaryCommand({ StreamName: stream }), { abortSignal: signal })
    ).StreamDescriptionSummary;
    shards = await listShards(client, stream, signal);
  } catch (error) {
    throw streamUnavailable(stream, display, error);
  }
  const views = shardViews(shards);
  const open = views.filter((s) => s.state === 'open').length;
  return {
    kind: 'kinesis',
    stream,
    ...(summary?.StreamARN === undefined ? {} : { arn: summary.StreamARN }),
    ...(summary?.StreamStatus === undefined ? {} : { status: summary.StreamStatus }),
    ...(summary?.RetentionPeriodHours === undefined ? {} : { retentionHours: summary.RetentionPeriodHours }),
    ...(summary?.StreamModeDetails?.StreamMode === undefined
      ? {}
      : { mode: summary.StreamModeDetails.StreamMode }),
    ...(summary?.EncryptionType === undefined ? {} : { encryption: summary.EncryptionType }),
    openShards: open,
    closedShards: views.length - open,
    shards: views,
    consumers: await streamConsumers(client, summary?.StreamARN, signal),
    ...(options.key === undefined ? {} : { key: placeKey(options.key, views) }),
  };
}

/** Shards in `ListShards` order, each with its children found from the others' parents. */
export function shardViews(shards: readonly Shard[]): ShardView[] {
  const children = new Map<string, string[]>();
  for (const s of shards) {
    for (const parent of [s.ParentShardId, s.AdjacentParentShardId]) {
      if (parent === undefined || s.ShardId === undefined) continue;
      children.set(parent, [...(children.get(parent) ?? []), s.ShardId]);
    }
  }
  return shards.map((s) => {
    const id = s.ShardId ?? '';
    const end = s.SequenceNumberRange?.EndingSequenceNumber;
    return {
      shard: id,
      state: end === undefined ? 'open' : 'closed',
      ...(s.ParentShardId === undefined ? {} : { parent: s.ParentShardId }),
      ...(s.AdjacentParentShardId === undefined ? {} : { adjacentParent: s.AdjacentParentShardId }),
      children: children.get(id) ?? [],
      hashKeys: { start: s.HashKeyRange?.StartingHashKey ?? '0', end: s.HashKeyRange?.EndingHashKey ?? '0' },
      sequences: {
        start: s.SequenceNumberRange?.StartingSequenceNumber ?? '',
        ...(end === undefined ? {} : { end }),
      },
    };
  });
}

/** The open shard whose hash key range holds the key's MD5, and the closed ones that held it before. */
export function placeKey(key: string, shards: readonly ShardView[]): KeyPlacement {
  const hash = hashKeyOf(key);
  const holding = shards.filter((s) => inHashRange(hash, s.hashKeys.start, s.hashKeys.end));
  const open = holding.find((s) => s.state === 'open');
  return {
    key,
    hashKey: hash.toString(),
    ...(open === undefined ? {} : { shard: open.shard }),
    before: holding.filter((s) => s.state === 'closed').map((s) => s.shard),
  };
}

async function streamConsumers(
  client: KinesisClient,
  arn: string | undefined,
  signal: AbortSignal,
): Promise<KinesisDescription['consumers']> {
  if (arn === undefined)
    return { listed: false, reason: 'the stream summary has no ARN to list consumers by' };
  const items: StreamConsumerView[] = [];
  try {
    let token: string | undefined;
    do {
      const out: ListStreamConsumersCommandOutput = await client.send(
        new ListStreamConsumersCommand(
          token === undefined ? { StreamARN: arn } : { StreamARN: arn, NextToken: token },
        ),
        { abortSignal: signal },
      );
      for (const c of out.Consumers ?? []) {
        items.push({
          name: c.ConsumerName ?? '',
          status: c.ConsumerStatus ?? '',
          ...(c.ConsumerCreationTimestamp === undefined
            ? {}
            : { createdAt: c.ConsumerCreationTimestamp.getTime() }),
        });
      }
      token = out.NextToken;
    } while (token !== undefined);
  } catch (error) {
    const name = errorName(error);
    const reason =
      name === 'UnknownOperationException'
        ? 'the endpoint does not implement ListStreamConsumers (an emulator such as kinesalite)'
        : `ListStreamConsumers failed: ${name}: ${describeError(error)}`;
    return { listed: false, reason };
  }
  return { listed: true, items };
}
