import type { GetShardIteratorCommandInput, StartingPosition } from '@aws-sdk/client-kinesis';
import { END_OF_PARTITION, type StartPosition } from '../../types.js';
import { parseKinesisPosition } from './kinesis-position.js';
import type { AggregateSkip } from './shard-buffer.js';

/** Where to start reading a shard (as a `GetShardIterator` request), and which user records of the first aggregate to leave out. */
export interface ShardStart {
  readonly request: Pick<
    GetShardIteratorCommandInput,
    'ShardIteratorType' | 'StartingSequenceNumber' | 'Timestamp'
  >;
  readonly skip?: AggregateSkip;
}

/**
 * Where a start position begins reading; `undefined` for a shard already finished (`after END`). A
 * position inside a KPL aggregate (`seq:sub`) starts AT the aggregate and skips its user records through
 * `sub` (`after`) or before it (`at`), as the KCL does.
 */
export function shardStart(start: StartPosition): ShardStart | undefined {
  switch (start.kind) {
    case 'earliest':
      return { request: { ShardIteratorType: 'TRIM_HORIZON' } };
    case 'latest':
      return { request: { ShardIteratorType: 'LATEST' } };
    case 'timestamp':
      return { request: { ShardIteratorType: 'AT_TIMESTAMP', Timestamp: new Date(start.ms) } };
    case 'after':
    case 'at': {
      if (start.position === END_OF_PARTITION) return undefined;
      const { sequence, sub } = parseKinesisPosition(start.position);
      if (sub === undefined) {
        return {
          request: {
            ShardIteratorType: start.kind === 'after' ? 'AFTER_SEQUENCE_NUMBER' : 'AT_SEQUENCE_NUMBER',
            StartingSequenceNumber: sequence,
          },
        };
      }
      const through = start.kind === 'after' ? sub : sub - 1;
      return {
        request: { ShardIteratorType: 'AT_SEQUENCE_NUMBER', StartingSequenceNumber: sequence },
        ...(through >= 0 ? { skip: { sequence, through } } : {}),
      };
    }
  }
}

/** The same start as a `SubscribeToShard` starting position. */
export function startingPosition(start: ShardStart): StartingPosition {
  const { ShardIteratorType, StartingSequenceNumber, Timestamp } = start.request;
  return {
    Type: ShardIteratorType,
    ...(StartingSequenceNumber === undefined ? {} : { SequenceNumber: StartingSequenceNumber }),
    ...(Timestamp === undefined ? {} : { Timestamp }),
  };
}
