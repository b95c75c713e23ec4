import {
  DescribeStreamSummaryCommand,
  type KinesisClient,
  ListShardsCommand,
  type ListShardsCommandOutput,
  type Shard,
} from '@aws-sdk/client-kinesis';
import { SourceUnavailableError } from '../../errors/source-unavailable-error.js';
import { streamUnavailable } from './kinesis-source-errors.js';

/**
 * The stream-wide calls of the Kinesis source: the check `connect` makes before reading and the shard
 * listing behind `partitions`. Each takes the signal of the call (the caller's, or the source's close).
 */

/**
 * Checks that `stream` exists and can be read, and returns its ARN (for enhanced fan-out).
 * @throws SourceUnavailableError saying what to fix, also while the stream is being created or deleted.
 */
export async function checkStream(
  client: KinesisClient,
  stream: string,
  uri: string,
  signal: AbortSignal,
): Promise<string | undefined> {
  let status: string | undefined;
  let arn: string | undefined;
  try {
    const out = await client.send(new DescribeStreamSummaryCommand({ StreamName: stream }), {
      abortSignal: signal,
    });
    status = out.StreamDescriptionSummary?.StreamStatus;
    arn = out.StreamDescriptionSummary?.StreamARN;
  } catch (error) {
    throw streamUnavailable(stream, uri, error);
  }
  if (status === 'CREATING' || status === 'DELETING') {
    throw new SourceUnavailableError(`Kinesis stream "${stream}" is ${status.toLowerCase()}`, {
      hint: status === 'CREATING' ? 'wait until it is ACTIVE, then start again' : 'the stream is going away',
    });
  }
  return arn;
}

/** Every shard of `stream` (`ListShards`, all pages). */
export async function listShards(
  client: KinesisClient,
  stream: string,
  signal: AbortSignal,
): Promise<Shard[]> {
  const shards: Shard[] = [];
  let token: string | undefined;
  do {
    const out: ListShardsCommandOutput = await client.send(
      new ListShardsCommand(token === undefined ? { StreamName: stream } : { NextToken: token }),
      { abortSignal: signal },
    );
    shards.push(...(out.Shards ?? []));
    token = out.NextToken;
  } while (token !== undefined);
  return shards;
}
