import { describeError } from '../../errors/agentctl-error.js';
import { SourceUnavailableError } from '../../errors/source-unavailable-error.js';
import { UsageError } from '../../errors/usage-error.js';
import type { Partition, StartPosition } from '../../types.js';
import { errorName, isUnreachable } from './kinesis-errors.js';

/** What failing to reach or read the stream means for an operator. */
export function streamUnavailable(stream: string, uri: string, error: unknown): SourceUnavailableError {
  const name = errorName(error);
  const what = `Kinesis stream "${stream}" (${uri})`;
  if (name === 'ResourceNotFoundException') {
    return new SourceUnavailableError(`${what} does not exist`, {
      cause: error,
      hint: `create it (aws kinesis create-stream --stream-name ${stream} --shard-count 1) or fix the stream name and region in the source URI`,
    });
  }
  if (isUnreachable(error)) {
    const why =
      name === 'TimeoutError' ? 'no answer before the request deadline, after retries' : describeError(error);
    return new SourceUnavailableError(`${what}: the endpoint does not answer (${why})`, {
      cause: error,
      hint: 'check ?endpoint= (or adapters.kinesis.endpoint) and the network, then try again',
    });
  }
  if (/region/i.test(describeError(error))) {
    return new SourceUnavailableError(`${what}: no AWS region`, {
      cause: error,
      hint: 'add ?region=REGION to the source URI, or set AWS_REGION',
    });
  }
  return new SourceUnavailableError(`${what} cannot be read: ${name}: ${describeError(error)}`, {
    cause: error,
    hint: 'check the credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID) and that they may read the stream',
  });
}

/** Why a shard could not start reading at `start`: a usage error for a sequence number of another shard. */
export function cannotStart(
  stream: string,
  uri: string,
  shard: Partition,
  start: StartPosition,
  error: unknown,
): Error {
  if (error instanceof UsageError) return error;
  const name = errorName(error);
  if (name === 'InvalidArgumentException' && (start.kind === 'at' || start.kind === 'after')) {
    return new UsageError(
      `cannot start shard ${shard} of Kinesis stream "${stream}" ${start.kind} ${start.position}: ${describeError(error)}`,
      {
        cause: error,
        hint: 'a sequence number belongs to one shard: give it for that shard only, or use --from earliest|latest|TIMESTAMP',
      },
    );
  }
  if (name === 'ResourceNotFoundException') return streamUnavailable(stream, uri, error);
  return error instanceof Error ? error : new Error(String(error));
}
