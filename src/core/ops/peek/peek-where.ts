import { utf8Text } from '../../events/payload-text.js';
import type { WhereSubject } from '../../filter/where.js';
import type { PeekedRecord } from './peek.js';

/**
 * The `--where` variables of a peeked record (`agentctl peek`): the decoded CloudEvent as `event` (null
 * when the record did not decode), the bytes as text as `payload` (null when not UTF-8), and where the
 * record is as `meta`.
 */
export function peekWhere(source: string): WhereSubject<PeekedRecord> {
  return {
    noun: 'a record',
    variables: {
      event: 'the decoded CloudEvent (event.type, event.data.*); null when the record does not decode',
      payload: 'the bytes as text (null when not UTF-8)',
      meta: 'source, partition, position, timestamp (ms), key, attributes (headers, partition key)',
    },
    bind(record) {
      return {
        event: record.event ?? null,
        payload: utf8Text(record.raw) ?? null,
        meta: {
          source,
          partition: record.partition,
          position: record.position,
          timestamp: record.timestamp,
          key: record.key ?? null,
          attributes: record.attributes,
        },
      };
    },
  };
}
